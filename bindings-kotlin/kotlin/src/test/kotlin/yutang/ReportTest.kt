package yutang

import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertFalse
import org.junit.jupiter.api.Assertions.assertThrows
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import java.io.File

/** Pool.report from Kotlin: the same HTML as the core, options with defaults, typed errors. */
class ReportTest {
    private fun cdnowPool(): Pool {
        // the CDNOW sample's orders (customer, date, amount) as events
        val lines = File(System.getProperty("yutang.data"), "cdnow/CDNOW_sample.txt").readLines()
        val events = lines.mapIndexedNotNull { i, line ->
            val f = line.trim().split(Regex("\\s+"))
            if (f.size < 5) null else EventRecord(
                id = "o$i", at = "${f[2].substring(0, 4)}-${f[2].substring(4, 6)}-${f[2].substring(6, 8)}", kind = "order",
                identities = listOf(IdentityRecord(kind = "app_user", value = "cd${f[1]}")), amount = f[4], orderId = "o$i",
                channel = listOf("douyin", "taobao", "app")[f[1].toInt() % 3])
        }
        val pool = Pool(PoolOptions(timeZone = "America/New_York", currency = "USD"))
        val r = pool.ingest(events)
        assertEquals(0, r.rejected.size, r.rejected.take(3).toString())
        return pool
    }

    private fun charts(html: String) =
        Regex("<svg [^>]*data-chart=\"([^\"]+)\"[^>]*>(.*?)</svg>", RegexOption.DOT_MATCHES_ALL).findAll(html).associate { it.groupValues[1] to it.groupValues[2] }

    @Test
    fun reportDrawsEveryChartAndIsDeterministic() {
        cdnowPool().use { pool ->
            val html = pool.report("1998-06-30 23:59:59")
            assertTrue(html.startsWith("<!doctype html>") && html.endsWith("</body></html>"))
            val c = charts(html)
            for (name in listOf("lifecycle", "lifecycle_flows", "rfm_tiers", "cohorts", "growth", "clv")) {
                assertTrue(c.containsKey(name), "$name in ${c.keys}")
                assertTrue(Regex("<(rect|polyline|circle)").findAll(c.getValue(name)).count() > 1, "$name has marks")
            }
            assertFalse(html.contains("Not available"))
            assertTrue(html.contains("2357 customers"), html.substring(0, 600))
            assertEquals(html, pool.report("1998-06-30 23:59:59", null))
            val custom = pool.report("1998-06-30 23:59:59", ReportOptionsRecord(title = "CDNOW", clvMonths = 24u))
            assertTrue(custom.contains("<title>CDNOW</title>") && custom.contains("24-month CLV"))
        }
    }

    @Test
    fun badOptionsAreTypedErrors() {
        Pool(PoolOptions()).use { pool ->
            val e = assertThrows(YutangException.InvalidField::class.java) { pool.report("2024-12-31", ReportOptionsRecord(periodDays = 0u)) }
            assertEquals("period_days", e.field)
            val d = assertThrows(YutangException.InvalidField::class.java) { pool.report("2024-12-31", ReportOptionsRecord(clvDiscountRate = Double.NaN)) }
            assertEquals("clv_discount_rate", d.field)
            assertTrue(pool.report("2024-12-31").contains("No orders yet."))
        }
    }
}
