package yutang

import org.json.JSONObject
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test

/** Late events through UniFFI: a late goal ends its instance as of its time, and is reported. */
class JourneyLateTest {
    private fun phone(v: String) = IdentityRecord(kind = "phone", value = v)

    private fun ladder(maxLateness: String?): String {
        val j = JSONObject(coffeeCouponLadder())
        if (maxLateness != null) j.put("max_lateness", maxLateness)
        return j.toString()
    }

    @Test
    fun aLateGoalEndsTheInstanceAndIsReported() {
        Pool(PoolOptions()).use { pool ->
            pool.addJourney(ladder(null), "2024-02-01")
            pool.ingest(listOf(EventRecord(id = "r1", at = "2024-03-01 10:00", kind = "register", identities = listOf(phone("13800000001")))))
            assertEquals(listOf("coupon_85"), pool.advance("2024-03-31 12:00").map { it.step })
            pool.ingest(listOf(EventRecord(id = "o1", at = "2024-03-30 08:00", kind = "order", amount = "20", orderId = "o1",
                identities = listOf(phone("13800000001")))))
            val r = pool.advanceReport("2024-04-01 12:00")
            assertEquals(1UL, r.lateEvents)
            assertEquals(1UL, r.tooLateTriggers)
            assertEquals(listOf("converted"), r.endedLate.map { it.outcome })
            assertEquals("2024-03-30T00:00:00Z", r.endedLate.single().at)
            assertTrue(pool.advance("2024-06-01").isEmpty())
        }
    }

    @Test
    fun aLateTriggerWithinMaxLatenessRunsFromItsOwnTime() {
        Pool(PoolOptions()).use { pool ->
            pool.addJourney(ladder("3d"), "2024-02-01")
            pool.ingest(listOf(EventRecord(id = "r1", at = "2024-03-01 10:00", kind = "register", identities = listOf(phone("13800000001")))))
            pool.advance("2024-03-31 12:00")
            pool.ingest(listOf(EventRecord(id = "o1", at = "2024-03-30 10:00", kind = "order", amount = "20", orderId = "o1",
                identities = listOf(phone("13800000001")))))
            assertEquals(0UL, pool.advanceReport("2024-04-01 12:00").tooLateTriggers)
            val acts = pool.advance("2024-06-01")
            assertEquals(listOf("first_43"), acts.map { it.step })
            assertEquals("2024-04-06T02:00:00Z", acts.single().dueAt)
        }
    }
}
