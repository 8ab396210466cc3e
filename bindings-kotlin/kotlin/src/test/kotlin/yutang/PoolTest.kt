package yutang

import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertNotNull
import org.junit.jupiter.api.Assertions.assertNull
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Assertions.assertThrows
import org.junit.jupiter.api.Test
import java.util.concurrent.Executors
import java.util.concurrent.TimeUnit

class PoolTest {
    private fun phone(v: String) = IdentityRecord(kind = "phone", value = v)
    private fun union(v: String) = IdentityRecord(kind = "wechat_unionid", value = v)

    private fun pool() = Pool(PoolOptions())

    @Test
    fun ingestResolveAndProfile() {
        val p = pool()
        val r = p.ingest(listOf(
            EventRecord(id = "e1", at = "2024-05-01 10:00", kind = "register", identities = listOf(phone("+86 138-0013-8000"), union("u1")), channel = "mini_program"),
            EventRecord(id = "e2", at = "2024-05-02T10:00:00+08:00", kind = "order", identities = listOf(union("u1")), channel = "douyin", amount = "19.90", orderId = "o1"),
            EventRecord(id = "e2", at = "2024-05-02T10:00:00+08:00", kind = "order", identities = listOf(union("u1")), channel = "douyin", amount = "19.90", orderId = "o1"),
        ))
        assertEquals(2UL, r.accepted)
        assertEquals(1UL, r.duplicates)
        val c = p.resolve("phone", "13800138000", null)
        assertNotNull(c)
        assertEquals(c, p.resolve("wechat_unionid", "u1", null))
        val prof = p.profile(c!!)
        assertEquals(1UL, prof.orderCount)
        assertEquals(1990L, prof.spend.single().minor)
        assertEquals("19.90", prof.spend.single().amount)
        assertEquals("2024-05-02T02:00:00Z", prof.lastOrderAt)
        // channels in the declaration order of the Channel ids (deterministic)
        assertEquals(listOf("mini_program", "douyin"), prof.channels.map { it.channel })
        assertEquals(2, p.timeline(c).size)
    }

    @Test
    fun badEventsAreReportedNotThrown() {
        val p = pool()
        val r = p.ingest(listOf(
            EventRecord(id = "e1", at = "not a time", kind = "view", identities = listOf(phone("13800138000"))),
            EventRecord(id = "e2", at = "2024-05-01", kind = "order", identities = listOf(phone("13800138000")), amount = "-5"),
            EventRecord(id = "e3", at = "2024-05-01", kind = "order", identities = listOf(phone("13800138000")), amount = "5", currency = "ZZZ"),
            EventRecord(id = "e4", at = "2024-05-01", kind = "view", identities = listOf(phone("null"))),
        ))
        assertEquals(0UL, r.accepted)
        assertEquals(listOf("at", "amount", "currency", "identities"), r.rejected.map { it.field })
        assertEquals(listOf(0UL, 1UL, 2UL, 3UL), r.rejected.map { it.index })
    }

    @Test
    fun errorsAreTypedExceptions() {
        val p = pool()
        assertThrows(YutangException.NotFound::class.java) { p.profile("c0000000000000000000") }
        assertThrows(YutangException.InvalidField::class.java) { p.resolve("myspace", "x", null) }
        assertThrows(YutangException.InvalidField::class.java) { Pool(PoolOptions(timeZone = "Mars/Olympus")) }
        assertThrows(YutangException.Snapshot::class.java) { Pool.restore(byteArrayOf(1, 2, 3)) }
    }

    @Test
    fun snapshotRestoreEraseAndUnbind() {
        val p = pool()
        p.ingest(listOf(
            EventRecord(id = "e1", at = "2024-05-01", kind = "register", identities = listOf(phone("13800138000"), union("u1"))),
            EventRecord(id = "e2", at = "2024-05-03", kind = "view", identities = listOf(phone("13900139000"))),
        ))
        val q = Pool.restore(p.snapshot())
        assertEquals(p.customerIds(), q.customerIds())
        assertTrue(p.snapshot().contentEquals(q.snapshot()))
        val split = q.unbind("wechat_unionid", "u1", null)
        assertNotNull(split)
        assertEquals(3UL, q.stats().customers)
        val c = q.resolve("phone", "13800138000", null)!!
        assertEquals(1UL, q.erase(c))
        assertNull(q.resolve("phone", "13800138000", null))
        // u1 was only known from e1, an event of the erased customer: it goes with them
        assertEquals(1UL, q.stats().customers)
        assertNull(q.resolve("wechat_unionid", "u1", null))
    }

    @Test
    fun sharedAcrossThreads() {
        val p = pool()
        val exec = Executors.newFixedThreadPool(4)
        for (t in 0 until 4) {
            exec.submit {
                for (i in 0 until 50) {
                    p.ingest(listOf(EventRecord(id = "t$t-$i", at = "2024-05-01 10:00", kind = "view", identities = listOf(IdentityRecord(kind = "app_user", value = "user$i")))))
                    p.profiles()
                }
            }
        }
        exec.shutdown()
        assertTrue(exec.awaitTermination(60, TimeUnit.SECONDS))
        assertEquals(200UL, p.stats().events)
        assertEquals(50UL, p.stats().customers)
    }

    @Test
    fun attributionFromLiveData() {
        val p = pool()
        p.ingest(listOf(
            EventRecord(id = "1", at = "2024-05-01 10:00", kind = "view", channel = "douyin", identities = listOf(phone("13800138000"))),
            EventRecord(id = "2", at = "2024-05-03 10:00", kind = "view", channel = "mini_program", identities = listOf(phone("13800138000"))),
            EventRecord(id = "3", at = "2024-05-04 10:00", kind = "order", amount = "88", identities = listOf(phone("13800138000"))),
        ))
        val paths = p.attributionPaths("2024-05-20T00:00:00+08:00", 30u, "order")
        val h = paths.heuristics(HeuristicOptionsRecord())
        assertEquals(88.0, h.linear.sumOf { it.value }, 1e-9)
        assertEquals(listOf("douyin", "mini_program"), h.linear.map { it.channel })
        assertThrows(YutangException.InvalidField::class.java) { p.attributionPaths("2024-05-20", 0u, "order") }
    }

    @Test
    fun rfmSummaryFromThePool() {
        val p = pool()
        p.ingest(listOf(
            EventRecord(id = "1", at = "2024-05-01 09:00", kind = "order", amount = "10", identities = listOf(phone("13800138000"))),
            EventRecord(id = "2", at = "2024-05-03 23:30", kind = "order", amount = "20", identities = listOf(phone("13800138000"))),
            EventRecord(id = "3", at = "2024-05-10 00:30", kind = "order", amount = "40", identities = listOf(phone("13800138000"))),
        ))
        val rows = p.rfmSummary("D", "2024-05-20 12:00", false)
        assertEquals(1, rows.size)
        val r = rows.single()
        assertEquals(listOf(2.0, 9.0, 19.0, 30.0), listOf(r.frequency, r.recency, r.t, r.monetaryValue))
        assertThrows(YutangException.InvalidField::class.java) { p.rfmSummary("fortnight", null, false) }
    }
}
