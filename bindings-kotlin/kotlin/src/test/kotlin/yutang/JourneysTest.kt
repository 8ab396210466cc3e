package yutang

import org.json.JSONArray
import org.json.JSONObject
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertNull
import org.junit.jupiter.api.Assertions.assertThrows
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.DynamicTest
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.TestFactory
import java.io.File
import java.time.OffsetDateTime

/** Journeys through UniFFI: tests/vectors/journeys.json (shared with Rust and Python) and the boundary. */
class JourneysTest {
    private val doc = JSONObject(File(System.getProperty("yutang.vectors"), "journeys.json").readText())
    private val examples = mapOf("coffee_coupon_ladder" to coffeeCouponLadder(), "renewal_reminders" to renewalReminders())

    private fun resolve(pool: Pool, name: String): String? {
        val (kind, value) = name.split(":", limit = 2)
        return pool.resolve(kind, value, null)
    }

    @TestFactory
    fun journeyVectors(): List<DynamicTest> {
        val cases = doc.getJSONArray("cases")
        return (0 until cases.length()).map { idx ->
            val case = cases.getJSONObject(idx)
            DynamicTest.dynamicTest(case.getString("name")) {
                val pool = Pool(PoolOptions())
                val names = mutableListOf<String>()
                val steps = case.getJSONArray("steps")
                val keys = mutableListOf<String>()
                for (s in 0 until steps.length()) {
                    val step = steps.getJSONObject(s)
                    step.optJSONArray("ingest")?.let { evs ->
                        for (e in 0 until evs.length()) {
                            val ids = evs.getJSONObject(e).getJSONArray("identities")
                            for (i in 0 until ids.length()) {
                                val n = ids.getJSONObject(i).let { "${it.getString("kind")}:${it.getString("value")}" }
                                if (n !in names) names += n
                            }
                        }
                        val r = pool.ingestJson(evs.toString())
                        assertTrue(r.rejected.isEmpty())
                        if (JSONArray(pool.journeysJson()).length() == 0) {
                            val js = case.getJSONArray("journeys")
                            for (j in 0 until js.length()) pool.addJourney(examples.getValue(js.getString(j)), case.getString("since"))
                        }
                    }
                    step.optJSONObject("settings")?.let { st ->
                        val customers = JSONObject()
                        val given = st.getJSONObject("customers")
                        for (k in given.keys()) customers.put(resolve(pool, k)!!, given.getJSONObject(k))
                        val settings = JSONObject(pool.journeySettingsJson()).put("customers", customers)
                        pool.setJourneySettingsJson(settings.toString())
                    }
                    if (step.has("advance")) {
                        val got = pool.advance(step.getString("advance"))
                        val exp = step.getJSONArray("expect")
                        assertEquals(exp.length(), got.size, "number of actions")
                        for (k in 0 until exp.length()) {
                            val e = exp.getJSONObject(k)
                            val a = got[k]
                            assertEquals(resolve(pool, e.getString("customer")), a.customerId)
                            assertEquals(e.getString("journey"), a.journey)
                            assertEquals(e.getString("step"), a.step)
                            assertEquals(e.getString("channel"), a.channel)
                            if (e.isNull("offer")) assertNull(a.offer) else assertEquals(e.getDouble("offer"), a.offer!!, 0.0)
                            assertEquals(OffsetDateTime.parse(e.getString("due_at")).toInstant(), OffsetDateTime.parse(a.dueAt).toInstant())
                            assertEquals(OffsetDateTime.parse(e.getString("due_at")).toInstant().toEpochMilli(), a.dueAtMillis)
                            assertEquals(e.getString("key"), a.key)
                            keys += a.key
                        }
                    }
                }
                assertEquals(keys.size, keys.toSet().size, "idempotency keys are unique")
            }
        }
    }

    private fun registered(): Pool {
        val p = Pool(PoolOptions())
        p.ingestJson("""[{"id": "r1", "at": "2024-03-01 10:00", "kind": "register", "identities": [{"kind": "phone", "value": "13800000001"}]}]""")
        return p
    }

    @Test
    fun badDefinitionsNameTheJsonPath() {
        val bad = """{"version": 1, "id": "t", "triggers": [{"event": "register"}], "steps": [{"id": "a", "type": "wait", "min": "7d", "max": "5d"}]}"""
        val e = assertThrows(YutangException.InvalidField::class.java) { loadJourney(bad) }
        assertEquals("steps[0].max", e.field)
        assertThrows(YutangException.InvalidField::class.java) { registered().addJourney(bad.replace("\"type\": \"wait\", \"min\": \"7d\", \"max\": \"5d\"", "\"type\": \"send\", \"channel\": \"fax\""), null) }
    }

    @Test
    fun advanceReplayNextWakeAndSimulate() {
        val p = registered()
        val sim = p.simulate(listOf(coffeeCouponLadder()), "2024-01-01", "2024-06-01")
        assertEquals(listOf(0.85, 0.43, 0.28), sim.actions.map { it.offer })
        assertEquals(1UL, sim.journeys[0].entered)
        assertEquals("[]", p.journeysJson())  // simulate does not touch the live state
        p.addJourney(coffeeCouponLadder(), "2024-01-01")
        val first = p.advance("2024-04-01")
        assertEquals(listOf("coupon_85"), first.map { it.step })
        assertEquals("2024-03-31T02:00:00Z", first[0].dueAt)
        assertEquals(sim.actions[0].key, first[0].key)
        assertTrue(p.advance("2024-04-01").isEmpty())
        assertEquals("2024-04-07T02:00:00Z", p.nextWakeAt())
        val back = Pool.restore(p.snapshot())
        assertEquals(p.advance("2024-06-01"), back.advance("2024-06-01"))
        assertNull(back.nextWakeAt())
        assertTrue(p.removeJourney("coffee_coupon_ladder"))
    }
}
