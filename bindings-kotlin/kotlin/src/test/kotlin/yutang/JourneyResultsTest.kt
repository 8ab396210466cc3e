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
import kotlin.math.abs
import kotlin.math.max

/** Journey results through UniFFI: tests/vectors/journey_results.json (shared with Rust and Python). */
class JourneyResultsTest {
    private val doc = JSONObject(File(System.getProperty("yutang.vectors"), "journey_results.json").readText())
    private val stats = listOf("rate_low", "rate_high", "lift", "lift_low", "lift_high", "relative_lift",
        "relative_lift_low", "relative_lift_high", "p_value")

    private fun run(case: JSONObject): Pool {
        val pool = Pool(PoolOptions())
        assertTrue(pool.ingestJson(case.getJSONArray("events").toString()).rejected.isEmpty())
        val settings = JSONObject(pool.journeySettingsJson())
        case.getJSONObject("settings").optDouble("global_control").takeIf { !it.isNaN() }?.let { settings.put("global_control", it) }
        pool.setJourneySettingsJson(settings.toString())
        pool.addJourney(case.getJSONObject("journey").toString(), case.getString("since"))
        pool.advance(case.getString("as_of"))
        return pool
    }

    private fun value(r: ArmResultRecord, f: String): Double? = when (f) {
        "rate_low" -> r.rateLow
        "rate_high" -> r.rateHigh
        "lift" -> r.lift
        "lift_low" -> r.liftLow
        "lift_high" -> r.liftHigh
        "relative_lift" -> r.relativeLift
        "relative_lift_low" -> r.relativeLiftLow
        "relative_lift_high" -> r.relativeLiftHigh
        "p_value" -> r.pValue
        else -> error(f)
    }

    @TestFactory
    fun handWorkedVectors(): List<DynamicTest> {
        val cases = doc.getJSONArray("cases")
        return (0 until cases.length()).map { idx ->
            val case = cases.getJSONObject(idx)
            DynamicTest.dynamicTest(case.getString("name")) {
                run(case).use { pool ->
                    val customers = case.getJSONArray("customers")
                    val instances = JSONArray(pool.journeyInstancesJson())
                    for (k in 0 until customers.length()) {
                        val c = customers.getJSONObject(k)
                        val id = pool.resolve("phone", c.getString("phone"), null)
                        val inst = (0 until instances.length()).map { instances.getJSONObject(it) }.single { it.getString("customer_id") == id }
                        assertEquals(c.getString("arm"), inst.optString("arm", "treatment").ifEmpty { "treatment" })
                    }
                    val r = pool.journeyResults(case.getJSONObject("journey").getString("id"), case.getString("as_of"), null)
                    val expect = case.getJSONObject("expect")
                    assertEquals(expect.getString("baseline"), r.baseline)
                    val arms = expect.getJSONArray("arms")
                    assertEquals(arms.length(), r.arms.size)
                    for (a in 0 until arms.length()) {
                        val want = arms.getJSONObject(a)
                        val got = r.arms[a]
                        assertEquals(want.getString("arm"), got.arm)
                        val mine = (0 until customers.length()).map { customers.getJSONObject(it) }.filter { it.getString("arm") == got.arm }
                        assertEquals(mine.size.toULong(), got.entered)
                        assertEquals(mine.count { it.getBoolean("converted") }.toULong(), got.converted)
                        assertEquals(mine.sumOf { it.getDouble("revenue") }, got.revenue, 1e-9)
                        for (f in stats) {
                            val v = value(got, f)
                            if (want.isNull(f)) assertNull(v, f) else {
                                val w = want.getDouble(f)
                                assertTrue(abs(v!! - w) <= 1e-12 * max(abs(w), 1.0), "$f: $v vs $w")
                            }
                        }
                    }
                }
            }
        }
    }

    @Test
    fun aReplayReportsResultsAndControlsReceiveNothing() {
        val case = doc.getJSONArray("cases").getJSONObject(0)
        run(case).use { pool ->
            val sim = pool.simulate(listOf(case.getJSONObject("journey").toString()), case.getString("since"), case.getString("as_of"))
            assertEquals(4, sim.actions.size)
            assertEquals(6UL, sim.journeys[0].control)
            val live = pool.journeyResults("winback", case.getString("as_of"), ResultsOptionsRecord())
            assertEquals(live.arms, sim.results[0].arms)
            val controls = JSONArray(pool.journeyInstancesJson()).let { a -> (0 until a.length()).map { a.getJSONObject(it) } }
                .filter { it.optString("arm") == "control" }.map { it.getString("customer_id") }.toSet()
            assertTrue(sim.actions.none { it.customerId in controls })
            val g = pool.globalControlResults(case.getString("as_of"), null)
            assertEquals("*", g.journey)
        }
    }

    @Test
    fun plannerCompareRatesAndBadInput() {
        assertEquals(686UL, journeySampleSize(0.10, 0.05, 0.05, 0.8))
        val c = compareRates(1UL, 4UL, 4UL, 6UL, 0.95)
        assertEquals(-0.7293104111927264, c.liftLow!!, 1e-12)
        val e = assertThrows(YutangException.InvalidField::class.java) { journeySampleSize(0.5, 0.6, 0.05, 0.8) }
        assertTrue(e.message!!.contains("min_lift"), e.message)
        val case = doc.getJSONArray("cases").getJSONObject(0)
        run(case).use { pool ->
            val bad = assertThrows(YutangException.InvalidField::class.java) {
                pool.journeyResults("winback", "2024-04-01", ResultsOptionsRecord(level = 2.0))
            }
            assertTrue(bad.message!!.contains("level"), bad.message)
            val settings = JSONObject(pool.journeySettingsJson()).put("global_control", 1.5)
            val g = assertThrows(YutangException.InvalidField::class.java) { pool.setJourneySettingsJson(settings.toString()) }
            assertTrue(g.message!!.contains("global_control"), g.message)
        }
    }
}
