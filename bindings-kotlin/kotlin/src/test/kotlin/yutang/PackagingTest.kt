package yutang

import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertNotNull
import org.junit.jupiter.api.Assertions.assertNull
import org.junit.jupiter.api.Assertions.assertThrows
import org.junit.jupiter.api.Test

/** How the artifact is consumed: the native library comes from the class path, Pool is AutoCloseable. */
class PackagingTest {
    @Test
    fun nativeLibraryLoadsFromTheClassPathWithNoSystemProperty() {
        // Nothing tells JNA where the library is: it must come from the jar's resources.
        assertNull(System.getProperty("jna.library.path"))
        val prefix = com.sun.jna.Platform.RESOURCE_PREFIX
        val name = System.mapLibraryName("yutang_ffi")
        assertNotNull(PackagingTest::class.java.classLoader.getResource("$prefix/$name"), "$prefix/$name on the class path")
        Pool(PoolOptions()).use { pool -> assertEquals(0UL, pool.stats().customers) }
    }

    @Test
    fun poolUseClosesIt() {
        val kept = Pool(PoolOptions()).use { pool ->
            val r = pool.ingest(listOf(EventRecord(id = "e1", at = "2024-05-01 10:00", kind = "register",
                identities = listOf(IdentityRecord(kind = "phone", value = "13800138000")), channel = "app")))
            assertEquals(1UL, r.accepted)
            pool
        }
        // closed at the end of `use`: a later call is an error, not a crash
        val e = assertThrows(IllegalStateException::class.java) { kept.stats() }
        assertEquals("Pool object has already been destroyed", e.message)
    }
}
