package yutang

import org.json.JSONArray
import org.json.JSONObject
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.DynamicTest
import org.junit.jupiter.api.TestFactory
import java.io.File

/** Runs tests/vectors/identity.json, shared with the Rust and Python tests. */
class VectorsTest {
    private val doc = JSONObject(File(System.getProperty("yutang.vectors"), "identity.json").readText())

    private fun ident(o: IdentityRecord) = if (o.namespace != null) "${o.kind}:${o.namespace}:${o.value}" else "${o.kind}:${o.value}"

    private fun configFor(case: JSONObject): String {
        val cfg = JSONObject(defaultConfigJson())
        val rules = case.optJSONObject("identity_rules") ?: return cfg.toString()
        val kinds = cfg.getJSONObject("identity_rules").getJSONArray("kinds")
        rules.optJSONObject("limits")?.let { limits ->
            for (k in limits.keys()) {
                for (i in 0 until kinds.length()) {
                    if (kinds.getJSONObject(i).getString("kind") == k) kinds.getJSONObject(i).put("limit", limits.getInt(k))
                }
            }
        }
        rules.optJSONArray("blocklist")?.let { cfg.getJSONObject("identity_rules").put("blocklist", it) }
        return cfg.toString()
    }

    private fun setOfSets(a: JSONArray): Set<Set<String>> =
        (0 until a.length()).map { i -> a.getJSONArray(i).let { g -> (0 until g.length()).map { g.getString(it) }.toSet() } }.toSet()

    private fun pairs(a: JSONArray): List<Pair<ULong, String>> =
        (0 until a.length()).map { a.getJSONArray(it).let { p -> p.getLong(0).toULong() to p.getString(1) } }

    @TestFactory
    fun identityVectors(): List<DynamicTest> {
        val cases = doc.getJSONArray("cases")
        return (0 until cases.length()).map { idx ->
            val case = cases.getJSONObject(idx)
            DynamicTest.dynamicTest(case.getString("name")) {
                val exp = case.getJSONObject("expect")
                val pool = Pool(PoolOptions(configJson = configFor(case)))
                var accepted = 0UL
                var duplicates = 0UL
                val rejected = mutableListOf<Pair<ULong, String>>()
                val warnings = mutableListOf<Pair<ULong, String>>()
                val batches = case.getJSONArray("batches")
                for (b in 0 until batches.length()) {
                    val r = pool.ingestJson(batches.getJSONArray(b).toString())
                    accepted += r.accepted
                    duplicates += r.duplicates
                    rejected += r.rejected.map { it.index to it.field }
                    warnings += r.warnings.map { it.index to it.field }
                }
                assertEquals(exp.getLong("accepted").toULong(), accepted)
                assertEquals(exp.getLong("duplicates").toULong(), duplicates)
                assertEquals(pairs(exp.getJSONArray("rejected")), rejected)
                assertEquals(pairs(exp.getJSONArray("warnings")), warnings)
                val ids = pool.customerIds()
                assertEquals(setOfSets(exp.getJSONArray("customers")), ids.map { c -> pool.profile(c).identities.map { ident(it) }.toSet() }.toSet())
                assertEquals(setOfSets(exp.getJSONArray("event_groups")), ids.map { c -> pool.timeline(c).map { it.id }.toSet() }.toSet())
                val want = exp.getJSONArray("conflicts").let { a ->
                    (0 until a.length()).map { a.getJSONObject(it).let { c -> Triple(c.getString("event_id"), c.getString("identity"), c.getString("limit_kind")) } }.toSet()
                }
                assertEquals(want, pool.conflicts().map { Triple(it.eventId, ident(it.identity), it.limitKind) }.toSet())
                if (exp.has("merges")) {
                    assertEquals(exp.getInt("merges"), pool.mergeLog().count { it.reason == "merge" })
                }
            }
        }
    }
}
