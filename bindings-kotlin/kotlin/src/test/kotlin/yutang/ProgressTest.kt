package yutang

import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertFalse
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.assertThrows

/** Progress listeners through UniFFI: stages reported from 0 to their total, a stop keeps what was read. */
class ProgressTest {
    private fun events(n: Int) = (0 until n).map { i ->
        EventRecord(id = "e$i", at = "2024-03-%02d 10:00".format(1 + i % 28), kind = if (i % 3 == 0) "order" else "view",
            amount = if (i % 3 == 0) "20" else null, identities = listOf(IdentityRecord(kind = "phone", value = "1380%07d".format(i / 4))))
    }

    private class Recorder(val stopAt: Int? = null) : ProgressListener {
        val calls = mutableListOf<Triple<String, ULong, ULong>>()
        override fun onProgress(stage: String, done: ULong, total: ULong): Boolean {
            calls.add(Triple(stage, done, total))
            return stopAt == null || calls.size < stopAt
        }
    }

    @Test
    fun ingestReportsIngestThenLinkAndEqualsAPlainIngest() {
        val evs = events(1000)
        Pool(PoolOptions()).use { pool ->
            val rec = Recorder()
            val r = pool.ingestWithProgress(evs, rec)
            assertEquals(1000UL, r.accepted)
            assertFalse(r.stopped)
            val ingest = rec.calls.filter { it.first == "ingest" }
            assertEquals(Triple("ingest", 0UL, 1000UL), ingest.first())
            assertEquals(Triple("ingest", 1000UL, 1000UL), ingest.last())
            assertTrue(ingest.size in 50..101, "${ingest.size} reports")
            assertEquals(listOf(Triple("link", 0UL, 1000UL), Triple("link", 1000UL, 1000UL)), rec.calls.filter { it.first == "link" })
            Pool(PoolOptions()).use { plain ->
                plain.ingest(evs)
                assertEquals(plain.customerIds(), pool.customerIds())
            }
        }
    }

    @Test
    fun aStoppedIngestKeepsWhatItReadAndASecondIngestCompletesIt() {
        val evs = events(1000)
        Pool(PoolOptions()).use { pool ->
            val r = pool.ingestWithProgress(evs, Recorder(stopAt = 3)) // reports at 0, 10, 20
            assertTrue(r.stopped)
            assertEquals(20UL, r.accepted)
            val again = pool.ingest(evs)
            assertEquals(980UL to 20UL, again.accepted to again.duplicates)
        }
    }

    @Test
    fun anExceptionFromTheListenerIsThrownAndTheReadEventsAreKept() {
        Pool(PoolOptions()).use { pool ->
            val boom = object : ProgressListener {
                override fun onProgress(stage: String, done: ULong, total: ULong): Boolean {
                    if (done >= 10UL) throw IllegalStateException("stop here")
                    return true
                }
            }
            val e = assertThrows<YutangException.Other> { pool.ingestWithProgress(events(1000), boom) }
            assertTrue(e.message!!.contains("stop here"), e.message)
            assertEquals(10UL, pool.stats().events)
        }
    }

    @Test
    fun simulateReportsCustomersAndAStopIsCancelled() {
        Pool(PoolOptions()).use { pool ->
            pool.ingest(events(4000))
            val rec = Recorder()
            val sim = pool.simulate(listOf(coffeeCouponLadder()), "2024-01-01", "2024-12-31", rec)
            assertEquals(pool.simulate(listOf(coffeeCouponLadder()), "2024-01-01", "2024-12-31").actions, sim.actions)
            assertEquals(setOf("journeys"), rec.calls.map { it.first }.toSet())
            val last = rec.calls.last()
            assertEquals(last.third, last.second)
            assertTrue(last.third >= 900UL, "$last")
            val e = assertThrows<YutangException.Cancelled> {
                pool.simulate(listOf(coffeeCouponLadder()), "2024-01-01", "2024-12-31", Recorder(stopAt = 2))
            }
            assertEquals("simulate", e.call)
        }
    }
}
