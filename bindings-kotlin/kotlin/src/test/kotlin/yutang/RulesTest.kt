package yutang

import org.json.JSONArray
import org.json.JSONObject
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertFalse
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Assertions.assertThrows
import org.junit.jupiter.api.DynamicTest
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.TestFactory
import java.io.File

/** The condition language, tags and segments; runs tests/vectors/rules.json too. */
class RulesTest {
    private val doc = JSONObject(File(System.getProperty("yutang.vectors"), "rules.json").readText())
    private val asOf = doc.getString("as_of")

    private fun who(p: Pool, name: String): String {
        val (kind, value) = name.split(":", limit = 2)
        return p.resolve(kind, value, null)!!
    }

    private fun vectorPool(): Pool {
        val p = Pool(PoolOptions())
        val r = p.ingestJson(doc.getJSONArray("events").toString())
        assertEquals(doc.getJSONArray("events").length().toULong(), r.accepted)
        val attrs = doc.getJSONArray("attributes")
        for (i in 0 until attrs.length()) {
            val a = attrs.getJSONObject(i)
            p.setAttribute(who(p, a.getString("customer")), a.getString("name"), AttrValueRecord.Text(a.getString("value")))
        }
        return p
    }

    private fun strings(a: JSONArray) = (0 until a.length()).map { a.getString(it) }

    @TestFactory
    fun cookbookVectors(): List<DynamicTest> {
        val p = vectorPool()
        val cook = doc.getJSONArray("cookbook")
        return (0 until cook.length()).map { i ->
            val c = cook.getJSONObject(i)
            DynamicTest.dynamicTest(c.getString("name")) {
                val got = p.evaluate(c.getString("rule"), asOf).filter { it.result }.map { it.customerId }.toSet()
                assertEquals(strings(c.getJSONArray("members")).map { who(p, it) }.toSet(), got)
            }
        }
    }

    @Test
    fun threeValuedExplainNextChangeTextAndErrors() {
        val p = vectorPool()
        val truth = doc.getJSONArray("truth")
        for (i in 0 until truth.length()) {
            val t = truth.getJSONObject(i)
            val rule = t.getString("rule")
            val results = p.evaluate(rule, asOf).associate { it.customerId to it.result }
            val want = t.getJSONObject("truth")
            for (name in want.keySet()) {
                val id = who(p, name)
                assertEquals(want.getString(name), p.explain(rule, id, asOf)[0].result, "$rule for $name")
                assertEquals(want.getString(name) == "true", results[id])
            }
        }
        val ex = doc.getJSONArray("explain")
        for (i in 0 until ex.length()) {
            val x = ex.getJSONObject(i)
            val root = p.explain(x.getString("rule"), who(p, x.getString("customer")), asOf)[0]
            assertEquals(x.getString("result"), root.result)
            assertEquals(x.getString("value"), root.value)
            assertEquals(x.getString("detail"), root.detail)
            assertEquals(strings(x.getJSONArray("events")), root.events)
        }
        val nc = doc.getJSONArray("next_change")
        for (i in 0 until nc.length()) {
            val x = nc.getJSONObject(i)
            val want = if (x.isNull("at")) null else x.getString("at")
            assertEquals(want, p.nextChangeAt(x.getString("rule"), who(p, x.getString("customer")), asOf))
        }
        val texts = doc.getJSONArray("text")
        for (i in 0 until texts.length()) {
            val x = texts.getJSONObject(i)
            assertEquals(x.getString("canonical"), ruleToText(x.getString("text")))
            assertEquals(x.getString("canonical"), ruleToText(x.getJSONObject("tree").toString()))
            assertEquals(x.getString("canonical"), ruleToText(parseRule(x.getString("text"))))
        }
        val errors = doc.getJSONArray("errors")
        for (i in 0 until errors.length()) {
            val x = errors.getJSONObject(i)
            val e = assertThrows(YutangException.Parse::class.java) { parseRule(x.getString("text")) }
            assertEquals(x.getLong("line").toULong(), e.line)
            assertEquals(x.getLong("column").toULong(), e.column)
        }
    }

    @Test
    fun segmentsTagsAndAttributes() {
        val p = vectorPool()
        val p3 = who(p, "phone:13900000003")
        p.defineSegment("buyers_30d", "orders(30d) >= 1")
        p.defineSegment("douyin_buyers", "segment(\"buyers_30d\") and did(order, channel: \"douyin\")")
        assertEquals(listOf(p3), p.segmentMembers("douyin_buyers", asOf))
        assertThrows(YutangException.InvalidField::class.java) { p.defineSegment("buyers_30d", "segment(\"douyin_buyers\")") }
        assertThrows(YutangException.NotFound::class.java) { p.segmentMembers("nope", asOf) }
        val changes = p.segmentChanges("douyin_buyers", "2024-06-30", "2024-08-01")
        assertEquals(listOf(p3), changes.map { it.customerId })
        assertFalse(changes[0].entered)
        assertEquals("2024-07-10T02:00:00Z", changes[0].at) // the 06-10 10:00 +08:00 order leaves the 30-day window
        assertEquals(6, p.refreshSegment("buyers_30d", asOf).size) // P3, P4, P6, P8, P9, P10 ordered in (05-31, 06-30]
        assertEquals(listOf(6UL), p.segmentSizes("buyers_30d", listOf()).map { it.size })

        val warnings = p.defineTagGroup("value_level", listOf(
            TagValueRecord("high", "spend(365d) >= 1000"), TagValueRecord("mid", "spend(365d) >= 200"),
            TagValueRecord("top", "spend(365d) >= 5000"), TagValueRecord("low", "true")))
        assertEquals(listOf("mid:overlap:high", "top:unreachable:high"), warnings.map { "${it.value}:${it.kind}:${it.earlier}" })
        val p2 = who(p, "phone:13900000002")
        assertEquals(listOf("value_level=high/rule"), p.tags(p2, asOf).map { "${it.group}=${it.value}/${it.source}" })
        p.setManualTag(p2, "vip", "gold", "staff:li", "2024-06-01")
        assertTrue(p.tags(p2, null).any { it.group == "vip" && it.setBy == "staff:li" && it.source == "manual" })
        p.tagIdentity(IdentityRecord(kind = "phone", value = "+86 137-0000-0001"), "source", "fair", "import", "2024-06-01")
        p.ingest(listOf(EventRecord(id = "n1", at = "2024-06-29 10:00", kind = "register", identities = listOf(IdentityRecord(kind = "phone", value = "13700000001")))))
        val n = p.resolve("phone", "13700000001", null)!!
        assertEquals(listOf("source=fair/identity", "value_level=low/rule"), p.tags(n, asOf).map { "${it.group}=${it.value}/${it.source}" })
        assertTrue(p.evaluate("tag(\"source\") == \"fair\"", asOf).single { it.result }.customerId == n)

        p.setAttribute(p2, "age", AttrValueRecord.Int(31))
        assertEquals(AttrValueRecord.Int(31), p.attributes(p2)["age"])
        assertThrows(YutangException.InvalidField::class.java) { p.setAttribute(p2, "x", AttrValueRecord.Float(Double.NaN)) }
        assertThrows(YutangException.CurrencyMismatch::class.java) { p.evaluate("spend(90d) > 5 USD", asOf) }
        assertThrows(YutangException.LimitExceeded::class.java) { parseRule("not ".repeat(40) + "true") }
    }
}
