package io.yutang.examples

import yutang.EventRecord
import yutang.IdentityRecord
import yutang.ModelKind
import yutang.Pool
import yutang.PoolOptions
import yutang.PurchaseModel
import yutang.RfmRow
import yutang.compareRates
import yutang.journeySampleSize
import java.util.Locale
import kotlin.system.exitProcess

/**
 * yutang from its Maven coordinates: one customer across two channels, a segment rule, the
 * purchase summary and a BG/NBD fit. Exits non-zero when an answer is not the expected one.
 */
fun main() {
    Pool(PoolOptions()).use { pool ->
        val report = pool.ingest(listOf(
            EventRecord(id = "e1", at = "2024-05-01 10:00", kind = "register", channel = "mini_program",
                identities = listOf(IdentityRecord(kind = "phone", value = "+86 138-0013-8000"),
                                    IdentityRecord(kind = "wechat_unionid", value = "u1"))),
            EventRecord(id = "e2", at = "2024-05-02 10:00", kind = "order", channel = "douyin", amount = "19.90",
                orderId = "o1", identities = listOf(IdentityRecord(kind = "wechat_unionid", value = "u1"))),
            EventRecord(id = "e3", at = "2024-05-20 10:00", kind = "order", channel = "taobao", amount = "45.00",
                orderId = "o2", identities = listOf(IdentityRecord(kind = "phone", value = "13800138000"))),
            EventRecord(id = "e4", at = "2024-05-03 09:00", kind = "order", channel = "app", amount = "12.00",
                orderId = "o3", identities = listOf(IdentityRecord(kind = "phone", value = "13900139000"))),
        ))
        check(report.accepted == 4UL) { "accepted ${report.accepted} of 4: ${report.rejected}" }
        val c = pool.resolve("wechat_unionid", "u1", null) ?: error("u1 did not resolve")
        check(pool.resolve("phone", "13800138000", null) == c) { "one customer across channels" }
        val spend = pool.profile(c).spend.single()
        check(spend.amount == "64.90") { "spend ${spend.amount}" }
        val repeat = pool.evaluate("orders() >= 2", "2024-06-01T00:00:00Z").filter { it.result }.map { it.customerId }
        check(repeat == listOf(c)) { "repeat buyers $repeat" }
        val summary = pool.rfmSummary("D", "2024-06-30", false)
        check(summary.size == 2) { "summary rows ${summary.size}" }
        println("yutang quickstart: ${pool.stats().customers} customers, $c spent ${spend.amount} ${spend.currency}, repeat buyers $repeat")
    }
    // BG/NBD with the parameters Fader, Hardie & Lee (2005) fitted to CDNOW: their customer with
    // 2 repeat purchases, the last at week 30.43 of 38.86, expects 1.226 purchases in 39 weeks.
    val model = PurchaseModel.fromParams(ModelKind.BG_NBD, listOf(0.243, 4.414, 0.793, 2.426))
    val row = RfmRow(frequency = 2.0, recency = 30.43, t = 38.86)
    val expected = model.conditionalExpectedPurchases(39.0, row)
    if (String.format(Locale.ROOT, "%.3f", expected) != "1.226") { System.err.println("expected purchases $expected, not 1.226"); exitProcess(1) }
    println(String.format(Locale.ROOT, "BG/NBD: %.3f purchases expected in 39 weeks, P(alive) %.3f", expected, model.probabilityAlive(row)))
    // planning and reading an A/B test of a journey: 686 customers per arm see 10 % -> 15 %
    val perArm = journeySampleSize(0.10, 0.05, 0.05, 0.8)
    if (perArm != 686UL) { System.err.println("sample size $perArm, not 686"); exitProcess(1) }
    val cmp = compareRates(120UL, 1000UL, 100UL, 1000UL, 0.95)
    println(String.format(Locale.ROOT, "A/B: %d customers per arm; 12.0 %% vs 10.0 %%: lift %.1f points [%.1f, %.1f], p %.3f",
        perArm.toLong(), cmp.lift!! * 100, cmp.liftLow!! * 100, cmp.liftHigh!! * 100, cmp.pValue!!))
}
