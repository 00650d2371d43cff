package dev.sluice.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.sluice.config.SluiceConfig;
import dev.sluice.config.live.Candidate;
import dev.sluice.config.vault.VaultTree;
import dev.sluice.tenancy.quota.FailPolicy;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The live keys the request path reads: the start's values until a prepared change is applied, then the new ones. */
class LiveSettingsTest {
    private static final SluiceConfig START = SluiceConfig.defaults();

    @Test
    void aChangeTakesEffectWhenItsApplyRunsNotWhenItIsPrepared() {
        LiveSettings settings = LiveSettings.of(START);
        assertEquals(START.defaultBurst(), settings.defaults().burst());
        assertEquals(START.defaultTimeoutMs(), settings.defaultTimeoutMs());
        assertEquals(FailPolicy.FAIL_OPEN, settings.quotaFailPolicy());

        SluiceConfig next = START.with(Map.of("default-burst", "3", "default-max-functions", "9",
                "default-timeout-ms", "750", "quota-fail-policy", "fail-closed"));
        Runnable apply = settings.prepare(new Candidate(next, VaultTree.EMPTY, START, VaultTree.EMPTY, false));
        assertEquals(START.defaultBurst(), settings.defaults().burst(), "prepared, not applied: another listener "
                + "may still refuse the candidate");

        apply.run();
        assertEquals(3, settings.defaults().burst());
        assertEquals(9, settings.defaults().maxFunctions());
        assertEquals(LimitsJson.defaults(next), settings.defaults());
        assertEquals(750, settings.defaultTimeoutMs());
        assertEquals(FailPolicy.FAIL_CLOSED, settings.quotaFailPolicy());
    }
}
