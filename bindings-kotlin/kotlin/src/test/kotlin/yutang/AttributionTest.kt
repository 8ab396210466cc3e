package yutang

import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertFalse
import org.junit.jupiter.api.Assertions.assertThrows
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import kotlin.math.abs

/** The attribution boundary: rows / strings / touchpoints in, records out, typed errors. */
class AttributionTest {
    private fun close(a: Double, b: Double, tol: Double = 1e-12) = assertTrue(abs(a - b) <= tol, "$a vs $b")

    private fun handSolved() = AttributionPaths.parse(
        paths = listOf("a > b > c", "b > c", "a > c", "b > a"),
        conversions = listOf(1.0, 1.0, 0.0, 1.0),
        values = listOf(10.0, 20.0, 0.0, 6.0),
        nulls = listOf(0.0, 1.0, 1.0, 0.0),
        sep = ">",
    )

    @Test
    fun markovMatchesTheHandSolvedChain() {
        val m = handSolved().markov(MarkovOptionsRecord())
        assertEquals(listOf("a", "b", "c"), m.channels.map { it.channel })
        close(m.conversionProbability, 3.0 / 5.0)
        close(m.removalEffects[0].conversion, 5.0 / 8.0)
        close(m.channels[0].conversions, 45.0 / 47.0)
        close(m.channels.sumOf { it.value }, 36.0)
        val first = m.transitions.first()
        assertEquals("(start)", first.from)
        assertEquals("a", first.to)
        close(first.probability, 0.4)
        val order2 = handSolved().markov(MarkovOptionsRecord(order = 2u))
        assertTrue(order2.transitions.any { it.from == "a > b" && it.to == "b > c" })
    }

    @Test
    fun rowsAndStringsGiveTheSameHeuristics() {
        val rows = AttributionPaths.fromRows(listOf(
            PathRecord(channels = listOf("抖音", "微信"), conversions = 1.0, value = 88.0),
            PathRecord(channels = listOf("微信"), conversions = 0.0, nulls = 3.0),
        ))
        val parsed = AttributionPaths.parse(paths = listOf("抖音 > 微信", "微信"), conversions = listOf(1.0, 0.0), values = listOf(88.0, 0.0), nulls = null, sep = ">")
        val a = rows.heuristics(HeuristicOptionsRecord())
        val b = parsed.heuristics(HeuristicOptionsRecord())
        assertEquals(a.linear, b.linear)
        assertEquals(listOf("抖音", "微信"), rows.channels())
        close(a.linear[0].value, 44.0)
        close(a.firstTouch[0].conversions, 1.0)
        close(a.lastTouch[1].conversions, 1.0)
        assertEquals(2UL, rows.len())
    }

    @Test
    fun touchpointsBecomePathsWithALookback() {
        val day = 86_400_000L
        val p = AttributionPaths.fromTouchpoints(
            listOf(
                TouchpointRecord(customer = "c1", atMillis = 0, channel = "sms"),
                TouchpointRecord(customer = "c1", atMillis = 40 * day, channel = "app"),
                TouchpointRecord(customer = "c1", atMillis = 41 * day, channel = "", isConversion = true, value = 19.9),
                TouchpointRecord(customer = "c2", atMillis = 0, channel = "", isConversion = true, value = 5.0),
                TouchpointRecord(customer = "c3", atMillis = 0, channel = "douyin"),
            ),
            TouchpointPathOptions(),
        )
        assertEquals(listOf("app", "douyin"), p.channels())
        close(p.totalConversions(), 1.0)
        close(p.unattributedConversions(), 1.0)
        close(p.unattributedValue(), 5.0)
        val s = p.shapley(ShapleyOptionsRecord())
        assertTrue(s.exact)
        close(s.channels.sumOf { it.conversions }, 1.0)
    }

    @Test
    fun shapleyConversionRateIsExactThenSampled() {
        val p = handSolved()
        val exact = p.shapley(ShapleyOptionsRecord(worth = ShapleyWorthRecord.CONVERSION_RATE))
        assertTrue(exact.exact)
        val sampled = p.shapley(ShapleyOptionsRecord(worth = ShapleyWorthRecord.CONVERSION_RATE, exactLimit = 0u, samples = 200u))
        assertFalse(sampled.exact)
        close(sampled.channels.sumOf { it.conversions }, 3.0, 1e-9)
    }

    @Test
    fun badInputIsATypedExceptionNamingTheRow() {
        val e = assertThrows(YutangException.InvalidField::class.java) {
            AttributionPaths.parse(paths = listOf("a", "a >  > b"), conversions = listOf(1.0, 1.0), values = null, nulls = null, sep = ">")
        }
        assertEquals("paths[1][1]", e.field)
        val n = assertThrows(YutangException.InvalidField::class.java) {
            AttributionPaths.fromRows(listOf(PathRecord(channels = listOf("a"), conversions = Double.NaN)))
        }
        assertEquals("conversions[0]", n.field)
        assertThrows(YutangException.InvalidField::class.java) {
            AttributionPaths.parse(paths = listOf("a"), conversions = listOf(1.0), values = null, nulls = null, sep = "->")
        }
        assertThrows(YutangException.InvalidField::class.java) { handSolved().markov(MarkovOptionsRecord(order = 9u)) }
        assertThrows(YutangException.InvalidField::class.java) {
            handSolved().heuristics(HeuristicOptionsRecord(positionFirst = 0.8, positionLast = 0.8))
        }
    }
}
