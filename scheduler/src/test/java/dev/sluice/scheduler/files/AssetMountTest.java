package dev.sluice.scheduler.files;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Where a function's assets may appear: {@code /} or a plain absolute path, never {@code /tmp} unless writable. */
class AssetMountTest {
    @ParameterizedTest
    @ValueSource(strings = {"/", "/a", "/a/b", "/assets", "/a.b/c_d-e", "/...", "/.a", "/a..", "/tmpx", "/x/tmp"})
    void aPlainAbsolutePathIsAcceptedReadOnlyAndWritable(String path) {
        assertEquals(path, new AssetMount(path, false).path());
        assertEquals(path, new AssetMount(path, true).path());
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "a", "a/b", "//", "/a/", "/a//b", "/.", "/..", "/a/.", "/a/..", "/./a", "/../a",
        "/a/../b", "/a/./b", "/a b", "/a\\b", "/a:b", "/a*", "/é", "/\u65e5\u672c", "/a\u0000", "/a\nb", "/\u007f",
        "/a\tb", " /a"})
    void anythingElseIsRefusedWithAMessageNamingThePath(String path) {
        var e = assertThrows(IllegalArgumentException.class, () -> new AssetMount(path, false));
        assertEquals(true, e.getMessage().startsWith("assets path: '"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new AssetMount(path, true));
    }

    @Test
    void controlCharactersAreNotEchoedIntoTheMessage() {
        var e = assertThrows(IllegalArgumentException.class, () -> new AssetMount("/a\nb\u0000", false));
        assertEquals(false, e.getMessage().contains("\n") || e.getMessage().contains("\u0000"), e.getMessage());
    }

    @Test
    void tmpAndUnderItAreScratchsPlaceUnlessTheAssetsAreWritable() {
        for (String path : new String[] {"/tmp", "/tmp/x", "/tmp/x/y"}) {
            var e = assertThrows(IllegalArgumentException.class, () -> new AssetMount(path, false));
            assertEquals("assets path: '" + path + "' (expected: not /tmp or under it, which is the scratch space,"
                    + " unless the assets are writable)", e.getMessage());
            assertEquals(path, new AssetMount(path, true).path());
        }
    }

    @Test
    void atMost255Bytes() {
        String longest = "/" + "a".repeat(AssetMount.MAX_PATH_BYTES - 1);
        assertEquals(longest, new AssetMount(longest, true).path());
        var e = assertThrows(IllegalArgumentException.class, () -> new AssetMount(longest + "a", true));
        assertEquals(true, e.getMessage().contains("…'"), "a long path is shortened in the message: " + e.getMessage());
        assertEquals(true, e.getMessage().length() < 200, e.getMessage());
    }

    @Test
    void theDefaultIsAssetsReadOnly() {
        assertEquals(new AssetMount("/assets", false), AssetMount.DEFAULT);
        assertEquals(AssetMount.DEFAULT, new FunctionFiles(java.util.Optional.empty(), ScratchLimits.NONE).mount());
    }
}
