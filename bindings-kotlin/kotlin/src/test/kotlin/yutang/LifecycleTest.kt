package yutang

import org.json.JSONArray
import org.json.JSONObject
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertNull
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Assertions.assertThrows
import org.junit.jupiter.api.DynamicTest
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.TestFactory
import java.io.File

/** Lifecycle stages and RFM tiers through UniFFI, and tests/vectors/{lifecycle,rfm}.json. */
class LifecycleTest {
    private fun phone(v: String) = IdentityRecord(kind = "phone", value = v)
    private fun ev(id: String, at: String, kind: String, p: String, amount: String? = null) =
        EventRecord(id = id, at = at, kind = kind, identities = listOf(phone(p)), amount = amount)

    private val a = "13800138000"
    private val b = "13900139000"
    private val c = "13700137000"

    private fun pool(): Pool {
        val p = Pool(PoolOptions())
        val r = p.ingest(listOf(
            ev("a1", "2024-01-01 09:00", "register", a),
            ev("a2", "2024-01-10 15:00", "order", a, "99"),
            ev("a3", "2024-08-01 10:00", "order", a, "50"),
            ev("a4", "2024-08-05 10:00", "order", a, "20"),
            ev("b1", "2024-03-01 12:00", "view", b),
            ev("c1", "2024-06-01 12:00", "order", c, "10"),
        ))
        assertEquals(6UL, r.accepted)
        return p
    }

    @Test
    fun stagesHistoryChangesDistributionMatrix() {
        val p = pool()
        val ida = p.resolve("phone", a, null)!!
        val idc = p.resolve("phone", c, null)!!
        val rows = p.lifecycle("2024-09-01").associateBy { it.customerId }
        assertEquals("repeat", rows[ida]!!.stage)
        // C ordered 2024-06-01: + 90 days = 2024-08-30 (29 + 31 + 30), from its midnight in Shanghai
        assertEquals("at_risk", rows[idc]!!.stage)
        assertEquals("2024-08-29T16:00:00Z", rows[idc]!!.since)
        assertEquals(StageAtRecord("won_back", "2024-08-01T02:00:00Z"), p.stage(ida, "2024-08-02"))
        assertNull(p.stage(ida, "2023-01-01"))
        val h = p.stageHistory(ida, "2024-09-01")
        assertEquals(listOf("prospect", "new", "at_risk", "churned", "won_back", "repeat"), h.map { it.toStage })
        assertNull(h.first().fromStage)
        val ch = p.stageChanges("2024-07-01", "2024-09-01")
        assertEquals(listOf("churned", "won_back", "repeat", "at_risk"), ch.map { it.toStage })
        val d = p.stageDistribution("2024-09-01").associate { it.stage to it.customers }
        assertEquals(mapOf("prospect" to 1UL, "new" to 0UL, "repeat" to 1UL, "at_risk" to 1UL, "churned" to 0UL, "won_back" to 0UL), d)
        val m = p.stageTransitions("2024-05-01", "2024-09-01").associate { (it.fromStage to it.toStage) to it.customers }
        assertEquals(mapOf(("prospect" to "prospect") to 1UL, ("at_risk" to "repeat") to 1UL, (null to "at_risk") to 1UL), m)
        assertThrows(YutangException.NotFound::class.java) { p.stageHistory("cnotacustomer00000000", "2024-09-01") }
    }

    @Test
    fun configErrorsAndSnapshot() {
        val p = pool()
        val e = assertThrows(YutangException.InvalidField::class.java) {
            p.setLifecycleConfig(LifecycleConfigRecord(atRiskDays = 200u))
        }
        assertEquals("lifecycle.churned_days", e.field)
        assertEquals(90u, p.lifecycleConfig().atRiskDays)
        p.setLifecycleConfig(LifecycleConfigRecord(atRiskDays = 30u, churnedDays = 60u, rhythm = RhythmRecord()))
        val q = Pool.restore(p.snapshot())
        assertEquals(p.lifecycleConfig(), q.lifecycleConfig())
        assertEquals(p.lifecycle("2024-09-01"), q.lifecycle("2024-09-01"))
        assertThrows(YutangException.InvalidField::class.java) {
            p.setLifecycleConfig(LifecycleConfigRecord(pAlive = PAliveRecord(params = listOf(1.0, 2.0))))
        }
    }

    @Test
    fun rfmOnThePoolAndOnColumns() {
        val p = pool()
        val rows = p.rfm("2024-09-01").associateBy { it.customerId }
        val ra = rows[p.resolve("phone", a, null)!!]!!
        // A: last order 08-05 -> 09-01 = 27 days; 3 orders; 99 + 50 + 20 = 169
        assertEquals(27u, ra.recencyDays)
        assertEquals(3UL, ra.frequency)
        assertEquals(169.0, ra.monetary)
        assertEquals(2, rows.size) // B never ordered
        val s = rfmScores(listOf(1.0, 400.0, 30.0), listOf(9.0, 1.0, 3.0), listOf(900.0, 10.0, 120.0), null)
        assertEquals(listOf("champions", "lost", "needs_attention"), s.tier)
        val err = assertThrows(YutangException.InvalidField::class.java) {
            rfmCheckTiers("""{"tiers": [{"name": "top", "cells": [{"r": [2, 5]}]}]}""")
        }
        assertTrue(err.value == "r=1 f=1 m=1", err.toString())
        assertEquals(11, rfmCheckTiers(JSONObject(rfmDefaultOptionsJson()).getJSONObject("tiers").toString()).size)
        p.setRfmOptionsJson("""{"frequency": {"cuts": [1, 2, 4, 8]}}""")
        assertEquals(3.toUByte(), p.rfm("2024-09-01").first { it.customerId == ra.customerId }.f)
    }

    private val dir = System.getProperty("yutang.vectors")

    @TestFactory
    fun lifecycleVectors(): List<DynamicTest> {
        val cases = JSONObject(File(dir, "lifecycle.json").readText()).getJSONArray("cases")
        return (0 until cases.length()).map { i ->
            val case = cases.getJSONObject(i)
            DynamicTest.dynamicTest(case.getString("name")) {
                val cfg = JSONObject(defaultConfigJson())
                if (case.has("time_zone")) cfg.put("time_zone", case.getString("time_zone"))
                val p = Pool(PoolOptions(configJson = cfg.toString()))
                assertTrue(p.ingestJson(case.getJSONArray("events").toString()).rejected.isEmpty())
                if (!case.isNull("config")) p.setLifecycleConfigJson(case.getJSONObject("config").toString())
                val stages = case.getJSONArray("stages")
                for (s in 0 until stages.length()) {
                    val probe = stages.getJSONObject(s)
                    val exp = probe.getJSONObject("expect")
                    for (ph in exp.keys()) {
                        val got = p.stage(p.resolve("phone", ph, null)!!, probe.getString("as_of"))
                        if (exp.isNull(ph)) assertNull(got) else {
                            val w = exp.getJSONArray(ph)
                            assertEquals(StageAtRecord(w.getString(0), w.getString(1)), got, "${case.getString("name")} $ph ${probe.getString("as_of")}")
                        }
                    }
                }
                case.optJSONObject("history")?.let { h ->
                    val got = p.stageHistory(p.resolve("phone", h.getString("phone"), null)!!, h.getString("as_of"))
                    val want = h.getJSONArray("expect")
                    assertEquals(want.length(), got.size)
                    for (k in 0 until want.length()) {
                        val w = want.getJSONArray(k)
                        assertEquals(StageTransitionRecord(if (w.isNull(0)) null else w.getString(0), w.getString(1), w.getString(2)), got[k])
                    }
                }
            }
        }
    }

    private fun col(a: JSONArray) = (0 until a.length()).map { a.getDouble(it) }
    private fun ints(a: JSONArray) = (0 until a.length()).map { a.getInt(it) }
    private fun ints(b: ByteArray) = b.map { it.toInt() }

    @TestFactory
    fun rfmVectors(): List<DynamicTest> {
        val doc = JSONObject(File(dir, "rfm.json").readText())
        val cases = doc.getJSONArray("cases")
        val scored = (0 until cases.length()).map { i ->
            val case = cases.getJSONObject(i)
            DynamicTest.dynamicTest(case.getString("name")) {
                val run = {
                    rfmScores(col(case.getJSONArray("recency_days")), col(case.getJSONArray("frequency")),
                        col(case.getJSONArray("monetary")), case.getJSONObject("options").toString())
                }
                val err = case.optJSONObject("error")
                if (err != null) {
                    val e = assertThrows(YutangException.InvalidField::class.java) { run() }
                    assertEquals(err.getString("field"), e.field)
                    assertTrue(e.toString().contains(err.getString("contains")) || e.value.contains(err.getString("contains")), e.toString())
                } else {
                    val s = run()
                    val exp = case.getJSONObject("expect")
                    assertEquals(ints(exp.getJSONArray("r")), ints(s.r))
                    assertEquals(ints(exp.getJSONArray("f")), ints(s.f))
                    assertEquals(ints(exp.getJSONArray("m")), ints(s.m))
                    val t = exp.getJSONArray("tier")
                    assertEquals((0 until t.length()).map { t.getString(it) }, s.tier)
                }
            }
        }
        val poolCases = doc.getJSONArray("pool_cases")
        val pooled = (0 until poolCases.length()).map { i ->
            val case = poolCases.getJSONObject(i)
            DynamicTest.dynamicTest(case.getString("name")) {
                val p = Pool(PoolOptions())
                assertTrue(p.ingestJson(case.getJSONArray("events").toString()).rejected.isEmpty())
                val rows = p.rfm(case.getString("as_of")).associateBy { it.customerId }
                val exp = case.getJSONObject("expect")
                assertEquals(exp.length(), rows.size)
                for (ph in exp.keys()) {
                    val e = exp.getJSONObject(ph)
                    val r = rows[p.resolve("phone", ph, null)!!]!!
                    assertEquals(RfmRowRecord(r.customerId, e.getInt("recency_days").toUInt(), e.getLong("frequency").toULong(),
                        e.getDouble("monetary"), e.getInt("r").toUByte(), e.getInt("f").toUByte(), e.getInt("m").toUByte(), e.getString("tier")), r)
                }
            }
        }
        return scored + pooled
    }
}
