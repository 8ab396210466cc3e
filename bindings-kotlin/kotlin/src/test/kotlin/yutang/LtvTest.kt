package yutang

import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertNull
import org.junit.jupiter.api.Assertions.assertThrows
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import kotlin.math.abs

/** The CLV boundary: rows / columns in, predictions and records out, JSON round trips, typed errors. */
class LtvTest {
    private fun close(a: Double, b: Double, tol: Double = 1e-12) = assertTrue(abs(a - b) <= tol * maxOf(1.0, abs(b)), "$a vs $b")

    // A small cohort in weeks (the shape of the CDNOW data).
    private val freq = listOf(0.0, 2.0, 5.0, 1.0, 0.0, 3.0, 0.0, 7.0, 1.0, 0.0)
    private val rec = listOf(0.0, 20.0, 35.0, 5.0, 0.0, 30.0, 0.0, 38.0, 12.0, 0.0)
    private val age = listOf(38.0, 38.0, 39.0, 30.0, 20.0, 36.0, 39.0, 39.0, 33.0, 25.0)
    private val rows = freq.indices.map { RfmRow(frequency = freq[it], recency = rec[it], t = age[it]) }
    private val opts = LtvFitOptions(penalizer = 0.01)

    @Test
    fun rowsAndColumnsGiveTheSameFit() {
        val a = PurchaseModel.fitRows(ModelKind.BG_NBD, rows, opts)
        val b = PurchaseModel.fitColumns(ModelKind.BG_NBD, freq, rec, age, null, opts)
        assertEquals(a.params(), b.params())
        val s = a.summary()!!
        assertEquals(listOf("r", "alpha", "a", "b"), s.params.map { it.name })
        assertTrue(s.gradientNorm <= 1e-6)
        assertEquals(10.0, s.totalWeight)
        assertEquals(ModelKind.BG_NBD, a.kind())
    }

    @Test
    fun predictionsMatchThePaperAndBatchesMatchScalars() {
        // Fader, Hardie & Lee (2005): customer with x = 2, t_x = 30.43, T = 38.86 expects 1.226.
        val m = PurchaseModel.fromParams(ModelKind.BG_NBD, listOf(0.243, 4.414, 0.793, 2.426))
        val row = RfmRow(frequency = 2.0, recency = 30.43, t = 38.86)
        close(Math.round(m.conditionalExpectedPurchases(39.0, row) * 1000) / 1000.0, 1.226)
        val batch = m.conditionalExpectedPurchasesBatch(39.0, rows)
        rows.forEachIndexed { i, r -> assertEquals(m.conditionalExpectedPurchases(39.0, r), batch[i]) }
        val alive = m.probabilityAliveBatch(rows)
        assertTrue(alive.all { it in 0.0..1.0 })
        assertEquals(1.0, m.probabilityAlive(RfmRow(frequency = 0.0, recency = 0.0, t = 10.0)))
        assertTrue(m.expectedPurchases(39.0) > 0.0)
        val total = (0uL..200uL).sumOf { m.probabilityOfNPurchases(39.0, it) }
        close(total, 1.0, 1e-9)
        assertNull(m.summary())
    }

    @Test
    fun modelsRoundTripThroughJson() {
        for (kind in listOf(ModelKind.BG_NBD, ModelKind.MBG_NBD, ModelKind.PARETO_NBD)) {
            val m = PurchaseModel.fitRows(kind, rows, opts)
            val back = PurchaseModel.fromJson(m.toJson())
            assertEquals(kind, back.kind())
            assertEquals(m.params(), back.params())
            assertEquals(m.summary()!!.logLikelihood, back.summary()!!.logLikelihood)
        }
        val gg = SpendModel.fromParams(6.25, 3.74, 15.44)
        assertEquals(gg.params(), SpendModel.fromJson(gg.toJson()).params())
        assertThrows(YutangException.Snapshot::class.java) { PurchaseModel.fromJson("{\"kind\":\"nope\",\"model\":{}}") }
        assertThrows(YutangException.Snapshot::class.java) { PurchaseModel.fromJson("not json") }
    }

    @Test
    fun customerLifetimeValue() {
        val bg = PurchaseModel.fromParams(ModelKind.BG_NBD, listOf(0.243, 4.414, 0.793, 2.426))
        val gg = SpendModel.fitColumns(listOf(1.0, 2.0, 3.0, 1.0, 5.0, 2.0), listOf(20.0, 35.5, 18.0, 50.0, 27.0, 31.0), null, opts)
        val clv = gg.customerLifetimeValue(bg, rows, List(rows.size) { 30.0 }, 12u, 0.01, 4.345)
        assertEquals(rows.size, clv.size)
        assertTrue(clv.all { it.isFinite() && it >= 0.0 })
        assertTrue(gg.expectedAverageProfit(0.0, 0.0) > 0.0) // population mean for a new customer
    }

    @Test
    fun spendModelQConstraintHoldsQAtOne() {
        // heavy-tailed spend: each customer's average a power of 1.6 times 10, so the free
        // estimate has q < 1 (an infinite population mean) and the constrained one q = 1
        val x = List(60) { (it % 4 + 1).toDouble() }
        val m = List(60) { 10.0 * Math.pow(1.6, (it % 30).toDouble()) }
        val free = SpendModel.fitColumns(x, m, null, opts)
        assertTrue(free.params()[1] < 1.0)
        val on = SpendModel.fitColumns(x, m, null, opts, qConstraint = true)
        assertEquals(1.0, on.params()[1])
        val e = on.expectedAverageProfit(x[5], m[5])
        assertEquals(m[5] + on.params()[2] / x[5], e, 1e-9 * e)
    }

    @Test
    fun predictionsAreDefinedOnAGridWhileFitsCheckTheRows() {
        // a P(alive) grid has cells where recency and frequency disagree: the formula is defined
        val bg = PurchaseModel.fromParams(ModelKind.BG_NBD, listOf(0.243, 4.414, 0.793, 2.426))
        assertEquals(1.0, bg.probabilityAlive(RfmRow(frequency = 0.0, recency = 4.0, t = 10.0)))
        val p = bg.probabilityAlive(RfmRow(frequency = 2.0, recency = 0.0, t = 10.0))
        assertTrue(p > 0.0 && p < 1.0)
        assertThrows(YutangException.InvalidField::class.java) { bg.probabilityAlive(RfmRow(frequency = 1.0, recency = 11.0, t = 10.0)) }
        assertThrows(YutangException.InvalidField::class.java) {
            PurchaseModel.fitRows(ModelKind.BG_NBD, listOf(RfmRow(frequency = 0.0, recency = 4.0, t = 10.0)), opts)
        }
    }

    @Test
    fun paretoNbdSmallProbabilitiesOfNPurchasesKeepTheirDigits() {
        // ln P from the closed form of Fader & Hardie's note 028 in mpmath with enough digits
        // (scripts/reference/pareto_nbd_pmf.py)
        val m = PurchaseModel.fromParams(ModelKind.PARETO_NBD, listOf(0.553, 10.578, 0.606, 11.669))
        assertEquals(-50.899531944532059, Math.log(m.probabilityOfNPurchases(1.0, 20uL)), 1e-10)
        assertEquals(-28.2557326260455, Math.log(m.probabilityOfNPurchases(39.0, 100uL)), 1e-10)
    }

    @Test
    fun invalidInputIsATypedErrorNamingFieldAndRow() {
        val bad = rows.toMutableList()
        bad[3] = RfmRow(frequency = 1.0, recency = 40.0, t = 30.0)
        val e = assertThrows(YutangException.InvalidField::class.java) { PurchaseModel.fitRows(ModelKind.PARETO_NBD, bad, opts) }
        assertEquals("recency[3]", e.field)
        val n = assertThrows(YutangException.InvalidField::class.java) {
            PurchaseModel.fitColumns(ModelKind.BG_NBD, listOf(0.0), listOf(0.0, 1.0), listOf(5.0), null, opts)
        }
        assertEquals("recency.len", n.field)
        assertThrows(YutangException.InvalidField::class.java) { PurchaseModel.fromParams(ModelKind.MBG_NBD, listOf(1.0, -1.0, 1.0, 1.0)) }
        assertThrows(YutangException.InvalidField::class.java) {
            SpendModel.fitColumns(listOf(0.0, 1.0), listOf(10.0, 20.0), null, opts)
        }
        assertThrows(YutangException.NotConverged::class.java) {
            PurchaseModel.fitRows(ModelKind.BG_NBD, rows, LtvFitOptions(maxIterations = 1u))
        }
    }

    @Test
    fun summaryFromColumnsInABusinessTimeZone() {
        val day = 86_400_000L
        val ids = listOf("王", "李", "王", "王")
        // 23:30 UTC and 00:30 UTC the next day are the same day in UTC+8... they are 07:30 and 08:30.
        val at = listOf(day - 1_800_000L, 0L, day + 1_800_000L, 5 * day)
        val utc = rfmSummary(ids, at, "D", listOf(10.0, 5.0, 20.0, 30.0), 10 * day, false, 0, 1.0)
        assertEquals(listOf("李", "王"), utc.customerIds)
        assertEquals(listOf(0.0, 2.0), utc.rows.map { it.frequency })
        assertEquals(listOf(0.0, 25.0), utc.monetaryValue)
        val cst = rfmSummary(ids, at, "D", null, 10 * day, false, 8 * 3600, 1.0)
        assertEquals(listOf(0.0, 1.0), cst.rows.map { it.frequency })
        assertNull(cst.monetaryValue)
        assertThrows(YutangException.InvalidField::class.java) { rfmSummary(ids, at, "Q", null, null, false, 0, 1.0) }
    }

    @Test
    fun discreteBgBbFitsDonationsThroughTheBoundary() {
        // data/cdnow/donations.csv: frequency, recency, periods, weights (Fader, Hardie & Shang 2010)
        val rows = java.io.File(System.getProperty("yutang.data"), "cdnow/donations.csv").readLines().drop(1).map { it.split(",").map(String::toDouble) }
        val m = DiscreteModel.fitColumns(rows.map { it[0] }, rows.map { it[1] }, rows.map { it[2] }, rows.map { it[3] }, LtvFitOptions())
        val p = m.params()
        assertEquals(1.204, p[0], 0.001)
        assertEquals(2.783, p[3], 0.001)
        val back = DiscreteModel.fromJson(m.toJson())
        assertEquals(m.probabilityAlive(1u, 3.0, 4.0, 6.0), back.probabilityAlive(1u, 3.0, 4.0, 6.0))
        assertTrue(m.conditionalExpectedPurchases(5u, 3.0, 4.0, 6.0) > 0.0)
        assertThrows(YutangException.InvalidField::class.java) { DiscreteModel.fromParams(-1.0, 1.0, 1.0, 1.0) }
    }
}
