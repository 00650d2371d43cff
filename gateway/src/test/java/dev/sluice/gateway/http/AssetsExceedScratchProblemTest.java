package dev.sluice.gateway.http;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.sluice.scheduler.SchedulerException;
import org.junit.jupiter.api.Test;

/** Writable assets that no longer fit the plan's scratch space: the tenant's to fix (422), never a 500. */
class AssetsExceedScratchProblemTest {
    @Test
    void writableAssetsOverTheScratchSpaceAre422NamingTheBound() {
        ProblemException problem = ErrorMapper.toProblem(new SchedulerException.AssetsExceedScratch("scratch-inodes",
                "the writable assets hold 70 files and directories (expected: at most scratch-inodes, 64)"));
        assertEquals(ProblemType.ASSETS_EXCEED_SCRATCH, problem.type());
        assertEquals(422, problem.type().status());
        assertEquals("scratch-inodes", problem.extensions().get("bound"));
        assertEquals("the writable assets hold 70 files and directories (expected: at most scratch-inodes, 64)",
                problem.detail());
    }
}
