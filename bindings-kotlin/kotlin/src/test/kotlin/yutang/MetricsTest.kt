package yutang

import org.json.JSONObject
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertThrows
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.DynamicTest
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.TestFactory
import java.io.File
import kotlin.math.abs
import kotlin.math.ln

/** Growth metrics through UniFFI: the pool methods, the column functions and tests/vectors/metrics.json. */
class MetricsTest {
    private val vec = JSONObject(File(System.getProperty("yutang.vectors"), "metrics.json").readText())
    private fun phone(v: String) = IdentityRecord(kind = "phone", value = v)

    private fun close(a: Double, b: Double) = abs(a - b) <= 1e-9 * maxOf(abs(a), abs(b), 1.0)

    private fun poolWithEvents(): Pool {
        val p = Pool(PoolOptions())
        val r = p.ingest(listOf(
            EventRecord(id = "1", at = "2024-05-01 10:00", kind = "register", identities = listOf(phone("13800138000"), IdentityRecord(kind = "wechat_unionid", value = "uA"))),
            // A "invites" their own unionid account: the referrer resolves to A -> self_referral
            EventRecord(id = "2", at = "2024-05-02 10:00", kind = "referral", identities = listOf(IdentityRecord(kind = "wechat_unionid", value = "uA")), referrer = phone("13800138000")),
            EventRecord(id = "3", at = "2024-05-03 10:00", kind = "referral", identities = listOf(phone("13900139000")), referrer = phone("13800138000"), channel = "wecom"),
            EventRecord(id = "4", at = "2024-05-06 10:00", kind = "order", amount = "88", identities = listOf(phone("13900139000")),
                items = listOf(ItemRecord(sku = "beans", category = "coffee", unitPrice = "60"), ItemRecord(sku = "papers", category = "accessories", unitPrice = "28"))),
            EventRecord(id = "5", at = "2024-05-07 10:00", kind = "order", amount = "60", identities = listOf(phone("13800138000")), items = listOf(ItemRecord(sku = "beans", category = "coffee"))),
            EventRecord(id = "6", at = "2024-05-07 11:00", kind = "group_join", groupId = "g1", identities = listOf(phone("13800138000"))),
            EventRecord(id = "7", at = "2024-05-07 12:00", kind = "group_message", groupId = "g1", identities = listOf(phone("13900139000"))),
            EventRecord(id = "8", at = "2024-06-09 10:00", kind = "order", amount = "30", identities = listOf(phone("13800138000")), items = listOf(ItemRecord(sku = "papers", category = "accessories"))),
        ))
        assertEquals(8UL, r.accepted)
        return p
    }

    @Test
    fun referralsBlockSelfReferralAndGiveK() {
        val p = poolWithEvents()
        val r = p.referrals(null, 30u)
        assertEquals(listOf("self_referral"), r.rejected.map { it.reason })
        assertEquals(listOf(p.resolve("phone", "13800138000", null)), r.edges.map { it.inviter })
        // 2 customers, 1 invite, converted (order 3 days later): K = 1/2 × 1
        assertEquals(0.5, r.kFactor)
        assertEquals(0UL, p.referrals(null, 1u).converted)
    }

    @Test
    fun cohortsGroupsAffinityOnThePool() {
        val p = poolWithEvents()
        val c = p.cohortRetention(null)
        assertEquals(listOf("2024-05", "2024-06"), c.cohorts.map { it.month })
        assertEquals(listOf(2UL, 1UL), c.cohorts[0].active)
        assertEquals(0.5, c.repurchaseRate)
        val cats = p.categoryMetrics(null)
        assertEquals(listOf("accessories", "coffee"), cats.map { it.category })
        assertEquals(listOf(58.0, 120.0), cats.map { it.revenue })
        val g = p.groupActivity("2024-05-01", "2024-06-01")
        assertEquals(2UL, g.groups.single().members)
        assertEquals(1UL, g.groups.single().silent)
        assertEquals(31, g.days.size)
        val a = p.affinity(null, "sku", AffinityOptionsRecord())
        assertEquals(listOf("beans" to "papers", "papers" to "beans"), a.rules.map { it.antecedent to it.consequent })
        val rec = p.recommend(p.resolve("phone", "13800138000", null)!!, 3u, "2024-05-08", "sku", AffinityOptionsRecord())
        assertEquals(listOf("papers"), rec.map { it.item })
        assertThrows(YutangException.InvalidField::class.java) { p.affinity(null, "brand", AffinityOptionsRecord()) }
        assertThrows(YutangException.NotFound::class.java) { p.recommend("c00000000000000000000", 3u, null, "sku", AffinityOptionsRecord()) }
    }

    @Test
    fun growthOnPoolAndColumnsAddsUp() {
        val p = poolWithEvents()
        val g = p.growth("2024-04-01", "2024-05-01", "2024-05-01", "2024-06-01", "visitors", 365u)
        assertEquals(2UL, g.current[0].traffic)
        assertEquals(1UL, g.current[0].invited)
        for (d in g.decomposition) assertTrue(close(d.contributions.sum(), d.currentValue - d.previousValue))
        // columns: a orders 100 in Jan; in Feb a orders 30 + 10, b arrives by referral and orders 50, c visits
        val day = 86_400_000L
        val jan1 = 1_704_038_400_000L // 2024-01-01 00:00 Shanghai
        val feb1 = jan1 + 31 * day
        val mar1 = feb1 + 29 * day
        val gc = growthColumns(
            listOf("a", "a", "a", "a", "b", "b", "c"),
            listOf(jan1 + 4 * day, feb1, feb1 + 2 * day, feb1 + 8 * day, feb1 + day, feb1 + 19 * day, feb1 + 3 * day),
            listOf("order", "view", "order", "order", "referral", "order", "view"),
            listOf(100.0, 0.0, 30.0, 10.0, 0.0, 50.0, 0.0),
            listOf("douyin", "douyin", null, null, "wecom", "wecom", null),
            jan1, feb1, feb1, mar1, "visitors", 365u,
        )
        val cur = gc.current[0]
        assertEquals(listOf(3UL, 2UL, 3UL, 1UL), listOf(cur.traffic, cur.buyers, cur.orders, cur.invited))
        assertEquals(95.0, cur.ltv)
        assertEquals(listOf(null, "douyin", "wecom", "(none)"), gc.current.map { it.channel })
        assertThrows(YutangException.InvalidField::class.java) {
            growthColumns(listOf("a"), listOf(jan1), listOf("order"), listOf(1.0), null, feb1, jan1, feb1, mar1, "visitors", null)
        }
    }

    @Test
    fun decomposeHandCase() {
        // V0 = 100 000, V1 = 120 000, L = 20 000 / ln 1.2 (Ang 2005)
        val d = decompose(listOf("traffic", "conversion", "aov", "referral", "ltv"),
            listOf(100.0, 0.1, 50.0, 1.0, 200.0), listOf(120.0, 0.1, 40.0, 1.0, 250.0))
        val l = 20_000.0 / ln(1.2)
        assertTrue(close(d.contributions[0], 20_000.0))
        assertTrue(close(d.contributions[2], l * ln(0.8)))
        assertTrue(close(d.contributions.sum(), 20_000.0))
    }

    @TestFactory
    fun decompositionVectors(): List<DynamicTest> {
        val cases = vec.getJSONArray("decomposition")
        return (0 until cases.length()).map { i ->
            val c = cases.getJSONObject(i)
            DynamicTest.dynamicTest(c.getString("name")) {
                fun arr(k: String) = c.getJSONArray(k).let { a -> (0 until a.length()).map { a.getDouble(it) } }
                val names = c.getJSONArray("factors").let { a -> (0 until a.length()).map { a.getString(it) } }
                val d = decompose(names, arr("previous"), arr("current"))
                arr("contributions").zip(d.contributions).forEach { (w, g) -> assertTrue(close(w, g), "$w vs $g") }
            }
        }
    }

    @Test
    fun cohortAndAffinityVectorsOnColumns() {
        val cc = vec.getJSONArray("cohort_retention").getJSONObject(0)
        val ids = cc.getJSONArray("customer_id").let { a -> (0 until a.length()).map { a.getString(it) } }
        val at = cc.getJSONArray("at").let { a -> (0 until a.length()).map { java.time.OffsetDateTime.parse(a.getString(it)).toInstant().toEpochMilli() } }
        val got = cohortRetentionColumns(ids, at, cc.getString("time_zone"), null)
        val want = cc.getJSONArray("cohorts")
        assertEquals(want.length(), got.cohorts.size)
        for (i in 0 until want.length()) {
            val w = want.getJSONObject(i)
            assertEquals(w.getString("month"), got.cohorts[i].month)
            val act = w.getJSONArray("active").let { a -> (0 until a.length()).map { a.getLong(it).toULong() } }
            assertEquals(act, got.cohorts[i].active)
        }
        val ac = vec.getJSONArray("affinity").getJSONObject(0)
        val baskets = ac.getJSONArray("basket").let { a -> (0 until a.length()).map { a.getInt(it).toString() } }
        val items = ac.getJSONArray("item").let { a -> (0 until a.length()).map { a.getString(it) } }
        val rules = affinityColumns(baskets, items, AffinityOptionsRecord())
        val wr = ac.getJSONArray("rules")
        assertEquals(wr.length(), rules.rules.size)
        for (i in 0 until wr.length()) {
            assertEquals(wr.getJSONObject(i).getString("antecedent"), rules.rules[i].antecedent)
            assertTrue(close(wr.getJSONObject(i).getDouble("lift"), rules.rules[i].lift))
        }
        val recs = recommendColumns(listOf("u", "u", "v", "v"), listOf("1", "1", "2", "2"), listOf("a", "b", "a", "c"), 2u, AffinityOptionsRecord())
        assertEquals(listOf("u" to "c", "v" to "b"), recs.map { it.customerId to it.item })
        val cats = categoryMetricsColumns(listOf("a", "a", "b"), listOf(0L, 86_400_000L * 40, 0L), listOf("tea", "tea", null), listOf(10.0, 20.0, 5.0), "UTC", null)
        assertEquals(1.0, cats.single().repurchaseRate)
        assertEquals(15.0, cats.single().aov)
    }
}
