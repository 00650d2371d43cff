package dev.sluice.config.vault;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.config.ConfigException;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Review r1 #11: a vault-address refused for holding credentials is not quoted with them. */
class VaultConfigAddressTest {
    @Test
    void anAddressWithCredentialsIsRefusedWithoutRepeatingThem() {
        for (String address : List.of("https://user:s3cret@vault:8200", "https://us er:s3cret@vault:8200/",
                "http://s3cret@vault", "user:s3cret@vault:8200")) {
            ConfigException e = assertThrows(ConfigException.class,
                    () -> VaultFixture.config(address, "token", "", "", "", "", "/none", "", 5_000), address);
            assertTrue(e.getMessage().startsWith("vault-address: "), e.getMessage());
            assertTrue(e.getMessage().contains("without credentials"), e.getMessage());
            assertFalse(e.getMessage().contains("s3cret"), e.getMessage());
            assertFalse(e.getMessage().contains("user"), e.getMessage());
        }
        ConfigException e = assertThrows(ConfigException.class,
                () -> VaultFixture.config("https://user:s3cret@vault:8200", "token", "", "", "", "", "/none", "",
                        5_000));
        assertTrue(e.getMessage().contains("https://<redacted>@vault:8200"), e.getMessage());
        ConfigException plain = assertThrows(ConfigException.class,
                () -> VaultFixture.config("ftp://vault:8200", "token", "", "", "", "", "/none", "", 5_000));
        assertTrue(plain.getMessage().contains("'ftp://vault:8200'"), "an address without credentials is shown: "
                + plain.getMessage());
    }
}
