package dev.sluice.scheduler.files;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

import java.nio.file.Path;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** {@link FunctionFiles#of}: the one decision of which files a call gets, in gateway, protocol and worker alike. */
class FunctionFilesTest {
    private static final ScratchLimits SCRATCH = new ScratchLimits(1024, 4);

    @Test
    void noAssetsAndNoScratchIsTheFastPath() {
        assertSame(FunctionFiles.NONE, FunctionFiles.of(Optional.empty(), Optional.empty(), ScratchLimits.NONE));
    }

    @Test
    void scratchAloneMountsNoTreeAtTheDefault() {
        assertEquals(new FunctionFiles(Optional.empty(), AssetMount.DEFAULT, SCRATCH),
                FunctionFiles.of(Optional.empty(), Optional.empty(), SCRATCH));
    }

    @Test
    void attachedAssetsKeepTheirMountEvenBeforeTheirDirectoryIsKnown() {
        AssetMount mount = new AssetMount("/data", true);
        assertEquals(new FunctionFiles(Optional.empty(), mount, ScratchLimits.NONE),
                FunctionFiles.of(Optional.empty(), Optional.of(mount), ScratchLimits.NONE));
        Path tree = Path.of("tree");
        assertEquals(new FunctionFiles(Optional.of(tree), mount, SCRATCH),
                FunctionFiles.of(Optional.of(tree), Optional.of(mount), SCRATCH));
    }
}
