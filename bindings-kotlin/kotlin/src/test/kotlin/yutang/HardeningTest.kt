package yutang

import java.io.File
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertFalse
import org.junit.jupiter.api.Assertions.assertNotNull
import org.junit.jupiter.api.Assertions.assertNull
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Assertions.assertThrows
import org.junit.jupiter.api.Test

/** Complete erase, masked messages and per-event rejections at the Kotlin boundary. */
class HardeningTest {
    private fun phone(v: String) = IdentityRecord(kind = "phone", value = v)

    @Test
    fun aReferrerIsErasedCompletely() {
        val p = Pool(PoolOptions())
        val r = p.ingest(listOf(
            EventRecord(id = "ev-a1", at = "2024-03-01 10:00", kind = "register", identities = listOf(phone("13812345678"), IdentityRecord(kind = "wechat_unionid", value = "unionid-a-77"))),
            EventRecord(id = "ev-a2", at = "2024-03-02 10:00", kind = "order", amount = "5", orderId = "ORDER-A-4242", identities = listOf(phone("13812345678"))),
            EventRecord(id = "ev-a3", at = "2024-03-03 10:00", kind = "subscription_start", subscriptionId = "SUB-A-9191", expiresAt = "2024-06-01", identities = listOf(phone("13812345678"))),
            EventRecord(id = "ev-b1", at = "2024-03-05 10:00", kind = "referral", referrer = phone("13812345678"), identities = listOf(phone("13900000002"))),
        ))
        assertEquals(4UL, r.accepted)
        p.addJourney(renewalReminders(), "2024-01-01")
        p.advance("2024-03-10")
        assertTrue(p.journeyInstancesJson().contains("SUB-A-9191"))
        val a = p.resolve("phone", "13812345678", null)!!
        val b = p.resolve("phone", "13900000002", null)!!
        p.erase(a)
        val blob = String(p.snapshot(), Charsets.ISO_8859_1)
        for (s in listOf("13812345678", "unionid-a-77", "ev-a1", "ev-a2", "ev-a3", "ORDER-A-4242", "SUB-A-9191", a)) {
            assertFalse(blob.contains(s), "$s survives in the snapshot")
            assertFalse(p.exportJson(b).contains(s), "$s survives in the export")
            assertFalse(p.journeyInstancesJson().contains(s), "$s survives in the journey instances")
        }
        val referral = p.timeline(b).single { it.id == "ev-b1" }
        assertNull(referral.referrer)
        assertEquals(listOf("referrer_erased"), p.referrals(null, 30u).rejected.map { it.reason })
        assertEquals(blob, String(Pool.restore(p.snapshot()).snapshot(), Charsets.ISO_8859_1))
    }

    @Test
    fun messagesMaskIdentityValues() {
        val p = Pool(PoolOptions())
        val e = assertThrows(YutangException.NotFound::class.java) { p.profile("13812345678") }
        assertFalse(e.message!!.contains("13812345678"))
        val r = p.ingestJson("""[
            {"id": "1", "at": "2024-05-01", "kind": "view", "identities": ["13812345678"]},
            {"id": "2", "at": "2024-05-01", "kind": "view", "identities": [{"kind": "phone", "value": 13812345678}]}
        ]""")
        assertEquals(1UL, r.accepted)
        assertEquals(listOf(0UL), r.rejected.map { it.index })
        assertFalse(r.rejected.single().reason.contains("13812345678"))
        assertNotNull(p.resolve("phone", "13812345678", null))
        assertThrows(YutangException.InvalidField::class.java) { p.ingestJson("{not json") }
    }

    @Test
    fun hugeValuesAreQuotedShort() {
        val big = "7".repeat(1_000_000)
        val r = Pool(PoolOptions()).ingest(listOf(
            EventRecord(id = "1", at = big, kind = "view", identities = listOf(phone("13800000001"))),
            EventRecord(id = "2", at = "2024-05-01", kind = big, identities = listOf(phone("13800000001"))),
            EventRecord(id = "3", at = "2024-05-01", kind = "order", amount = big, identities = listOf(phone("13800000001"))),
        ))
        assertEquals(3, r.rejected.size)
        r.rejected.forEach { assertFalse(it.reason.contains("7".repeat(65))) }
    }

    @Test
    fun aDurationWithAMultibyteCharacterIsAnError() {
        val bad = coffeeCouponLadder().replace("\"min\": \"30d\"", "\"min\": \"ʛ\"")
        assertTrue(bad.contains("ʛ"))
        assertThrows(YutangException.InvalidField::class.java) { Pool(PoolOptions()).addJourney(bad, null) }
    }

    @Test
    fun snapshotToAFileAndRestoreFromIt() {
        val p = Pool(PoolOptions())
        p.ingest((0 until 2000).map { EventRecord(id = "e$it", at = "2024-05-01", kind = "order", amount = "${it + 1}", identities = listOf(phone("1380000%04d".format(it)))) })
        val file = java.io.File.createTempFile("yutang", ".yts")
        try {
            p.snapshotTo(file.path)
            assertTrue(file.readBytes().contentEquals(p.snapshot()))
            val back = Pool.restoreFrom(file.path)
            assertEquals(2000UL, back.stats().customers)
            assertTrue(back.snapshot().contentEquals(p.snapshot()))
            file.writeBytes(file.readBytes().copyOf(100))
            assertThrows(YutangException.Snapshot::class.java) { Pool.restoreFrom(file.path) }
        } finally {
            file.delete()
        }
        assertThrows(YutangException.Snapshot::class.java) { Pool.restoreFrom("/nonexistent/pool.yts") }
    }

    @Test
    fun lateEventsAreReported() {
        val p = Pool(PoolOptions())
        val r1 = p.ingest(listOf(EventRecord(id = "a", at = "2024-05-02", kind = "view", identities = listOf(phone("13800000001")))))
        assertEquals(0UL, r1.late)
        val r2 = p.ingest(listOf(EventRecord(id = "b", at = "2024-05-01", kind = "view", identities = listOf(phone("13800000001")))))
        assertEquals(1UL, r2.late)
        assertTrue(r2.fullPass)
    }

    @Test
    fun theGoldenSnapshotRestoresAndWritesItselfAgain() {
        val golden = File(System.getProperty("yutang.vectors"), "snapshot_v4.bin")
        val p = Pool.restoreFrom(golden.path)
        assertTrue(p.snapshot().contentEquals(golden.readBytes()))
        assertTrue(p.stats().conflicts >= 1UL)
    }

    @Test
    fun theOlderFormatGoldenRestoresToTheSamePoolAndWritesTheCurrentGolden() {
        val dir = System.getProperty("yutang.vectors")
        val old = Pool.restoreFrom(File(dir, "snapshot_v3.bin").path)
        assertTrue(old.snapshot().contentEquals(File(dir, "snapshot_v4.bin").readBytes()))
    }

    @Test
    fun aSectionOfANewerVersionIsRefusedByName() {
        val blob = File(System.getProperty("yutang.vectors"), "snapshot_v4.bin").readBytes()
        // the sections are in the last data frame: each a length-prefixed name, then its version
        val tag = byteArrayOf(8) + "journeys".toByteArray()
        val at = (blob.size - tag.size downTo 0).first { i -> tag.indices.all { blob[i + it] == tag[it] } } + tag.size
        assertEquals(1.toByte(), blob[at])
        blob[at] = 3 // this library reads journeys sections of versions 1 and 2
        // recompute each frame's CRC-32: u32 length, u32 CRC, payload, after the 10-byte header
        val buf = java.nio.ByteBuffer.wrap(blob).order(java.nio.ByteOrder.LITTLE_ENDIAN)
        var pos = 10
        while (buf.getInt(pos) != 0) {
            val n = buf.getInt(pos)
            val crc = java.util.zip.CRC32().apply { update(blob, pos + 8, n) }
            buf.putInt(pos + 4, crc.value.toInt())
            pos += 8 + n
        }
        val e = assertThrows(YutangException.Snapshot::class.java) { Pool.restore(blob) }
        assertTrue(e.message!!.contains("section `journeys` has version 3"), e.message)
    }

    @Test
    fun aListThatLooksLikeADurationStaysAListThroughASnapshot() {
        val p = Pool(PoolOptions())
        p.ingest(listOf(EventRecord(id = "a", at = "2024-05-01 10:00", kind = "view", identities = listOf(phone("13800000001")))))
        val id = p.customerIds().single()
        p.setManualTag(id, "level", "30d", "crm", "2024-05-01 10:00")
        p.defineSegment("s", "tag(\"level\") in [\"30d\"]")
        assertEquals(listOf(id), p.segmentMembers("s", "2024-06-01"))
        val back = Pool.restore(p.snapshot())
        assertEquals(listOf(id), back.segmentMembers("s", "2024-06-01"))
    }

    @Test
    fun memoryBytesCountsTagsSetOnCustomers() {
        val p = Pool(PoolOptions())
        p.ingest((0 until 500).map { c -> EventRecord(id = "e$c", at = "2024-05-01 10:00", kind = "view", identities = listOf(phone("138%08d".format(c)))) })
        val bare = p.memoryBytes()
        assertTrue(bare > 0UL)
        for (id in p.customerIds()) p.setManualTag(id, "note", "x".repeat(60), "y".repeat(60), "2024-05-01 10:00")
        val tagged = p.memoryBytes()
        assertTrue(tagged - bare >= (500 * 120 * 3).toULong(), "$bare -> $tagged")
        assertTrue(tagged - bare < (500 * 600).toULong(), "$bare -> $tagged")
    }

    @Test
    fun lateEventsRelinkOnlyTheCustomersTheyTouch() {
        val crowd = (0 until 200).map { c ->
            val id = if (c % 2 == 0) IdentityRecord(kind = "wechat_unionid", value = "u$c") else IdentityRecord(kind = "app_user", value = "a$c")
            EventRecord(id = "e$c", at = "2024-05-%02d 10:00".format(1 + c % 28), kind = "view", identities = listOf(id))
        }
        val late = EventRecord(id = "late", at = "2024-05-01 09:00", kind = "register",
            identities = listOf(IdentityRecord(kind = "wechat_unionid", value = "u2"), IdentityRecord(kind = "app_user", value = "a3")))
        val p = Pool(PoolOptions())
        p.ingest(crowd)
        val r = p.ingest(listOf(late))
        assertEquals(1UL, r.late)
        assertFalse(r.fullPass)
        val sorted = Pool(PoolOptions())
        sorted.ingest(listOf(late))
        sorted.ingest(crowd)
        assertEquals(sorted.customerIds(), p.customerIds())
        assertEquals(199, p.customerIds().size)
        val merged = p.resolve("wechat_unionid", "u2", null)
        assertEquals(merged, p.resolve("app_user", "a3", null))
        assertEquals(listOf("late", "e2", "e3"), p.timeline(merged!!).map { it.id })
    }

    @Test
    fun attributionOverflowAndSampleBoundsAreTypedErrors() {
        val huge = AttributionPaths.fromRows(listOf(
            PathRecord(channels = listOf("a", "b"), conversions = 1e308),
            PathRecord(channels = listOf("b"), conversions = 1e308),
        ))
        assertEquals("conversions", assertThrows(YutangException.InvalidField::class.java) { huge.markov(MarkovOptionsRecord()) }.field)
        assertEquals("conversions", assertThrows(YutangException.InvalidField::class.java) { huge.shapley(ShapleyOptionsRecord()) }.field)
        assertEquals("conversions", assertThrows(YutangException.InvalidField::class.java) { huge.heuristics(HeuristicOptionsRecord()) }.field)
        val p = AttributionPaths.fromRows(listOf(
            PathRecord(channels = listOf("a", "b"), conversions = 1.0, nulls = 1.0),
            PathRecord(channels = listOf("c"), conversions = 1.0, nulls = 1.0),
        ))
        val e = assertThrows(YutangException.InvalidField::class.java) {
            p.shapley(ShapleyOptionsRecord(worth = ShapleyWorthRecord.CONVERSION_RATE, exactLimit = 0u, samples = 5_000_000u))
        }
        assertEquals("samples", e.field)
    }
}
