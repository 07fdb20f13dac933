package io.javaoverlay.core.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

/** {@code EnableNFTables}: read as flannel's net-conf.json key, false when absent. */
class EnableNFTablesTest {

    private static final String NET = "{\"Network\": \"10.5.0.0/16\", \"Backend\": {\"Type\": \"vxlan\"}";

    @Test
    void isOffUnlessTheConfigTurnsItOn() {
        assertThat(NetworkConfig.parse(NET + "}").enableNFTables()).isFalse();
        assertThat(NetworkConfig.parse(NET + ", \"EnableNFTables\": false}").enableNFTables()).isFalse();
        assertThat(NetworkConfig.parse(NET + ", \"EnableNFTables\": true}").enableNFTables()).isTrue();
    }

    @Test
    void theKeyIsCaseInsensitiveAsInGo() {
        assertThat(NetworkConfig.parse(NET + ", \"enablenftables\": true}").enableNFTables()).isTrue();
    }

    @Test
    void aValueThatIsNotABooleanIsRefused() {
        assertThatThrownBy(() -> NetworkConfig.parse(NET + ", \"EnableNFTables\": \"yes\"}"))
                .isInstanceOf(NetworkConfigException.class).hasMessageContaining("EnableNFTables");
    }

    @Test
    void theSummaryShowsIt() {
        assertThat(NetworkConfig.parse(NET + ", \"EnableNFTables\": true}").describe()).contains("EnableNFTables=true");
    }
}
