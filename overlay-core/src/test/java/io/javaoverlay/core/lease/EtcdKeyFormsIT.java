package io.javaoverlay.core.lease;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import io.javaoverlay.core.lease.EtcdClientCredentials.Problem;
import io.javaoverlay.core.lease.EtcdClientCredentials.UnusableCredentialsException;
import io.javaoverlay.core.metrics.OverlayMetrics;
import io.javaoverlay.testkit.EtcdExtension;
import io.javaoverlay.testkit.Openssl;

/**
 * Client keys in every PEM form flannel takes, made by openssl as etcd PKI tools hand them out, against an etcd that
 * demands client certificates: each connects and lists. Encrypted and mismatched keys are refused with the file named.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class EtcdKeyFormsIT {

    @RegisterExtension
    static final EtcdExtension etcd = EtcdExtension.builder().tls(true).build();

    @TempDir
    static Path dir;

    /** A key form, how openssl makes it and the PEM header that proves openssl made that form. */
    enum KeyForm {
        RSA_PKCS1("-----BEGIN RSA PRIVATE KEY-----", "genrsa", "-traditional", "-out", "%s", "2048"),
        RSA_PKCS8("-----BEGIN PRIVATE KEY-----", "genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out", "%s"),
        // `ecparam -genkey` writes an EC PARAMETERS block before the SEC1 key, as many PKI scripts leave it
        EC_SEC1("-----BEGIN EC PRIVATE KEY-----", "ecparam", "-name", "prime256v1", "-genkey", "-out", "%s"),
        EC_PKCS8("-----BEGIN PRIVATE KEY-----", "genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", "%s");

        final String header;
        final String[] command;

        KeyForm(String header, String... command) {
            this.header = header;
            this.command = command;
        }
    }

    @BeforeAll
    static void networkConfig() throws Exception {
        // written with the kit's own (PKCS#8) client, so the tests below only read and lease
        try (EtcdLeaseStore store = EtcdLeaseStore.connect(options(etcd.clientCertFile(), etcd.clientKeyFile()), new OverlayMetrics())) {
            store.writeNetworkConfig("{\"Network\":\"10.12.0.0/16\"}");
        }
    }

    @ParameterizedTest
    @EnumSource(KeyForm.class)
    void eachKeyFormConnectsAndLists(KeyForm form) throws Exception {
        Path key = makeKey(form.name().toLowerCase(), form);
        assertThat(Files.readString(key)).contains(form.header);
        Path cert = issue(key, etcd.caFile(), etcd.caKeyFile(), "extendedKeyUsage=clientAuth");

        try (EtcdLeaseStore store = EtcdLeaseStore.connect(options(cert, key), new OverlayMetrics())) {
            assertThat(store.readNetworkConfig()).hasValueSatisfying(c -> assertThat(c).contains("10.12.0.0/16"));
            assertThat(store.list().leases()).isNotNull();
        }
    }

    @Test
    void aCertificateFileWithTheChainWorks() throws Exception {
        // root CA -> intermediate -> client; etcd trusts only the root, so the intermediate must come from the file
        Path interKey = makeKey("inter", KeyForm.EC_PKCS8);
        Path inter = issue(interKey, etcd.caFile(), etcd.caKeyFile(), "basicConstraints=critical,CA:TRUE\nkeyUsage=keyCertSign,cRLSign");
        Path key = makeKey("leaf", KeyForm.RSA_PKCS1);
        Path leaf = issue(key, inter, interKey, "extendedKeyUsage=clientAuth");
        Path chain = dir.resolve("leaf-chain.pem");
        Files.writeString(chain, Files.readString(leaf) + Files.readString(inter));

        try (EtcdLeaseStore store = EtcdLeaseStore.connect(options(chain, key), new OverlayMetrics())) {
            assertThat(store.readNetworkConfig()).isPresent();
        }
        // without the intermediate etcd cannot build a path to its CA, which shows the chain above was used
        try (EtcdLeaseStore store = EtcdLeaseStore.connect(options(leaf, key), new OverlayMetrics())) {
            assertThatThrownBy(store::readNetworkConfig).isInstanceOf(LeaseException.StoreUnavailableException.class);
        }
    }

    @ParameterizedTest
    @EnumSource(value = KeyForm.class, names = {"RSA_PKCS8", "RSA_PKCS1"})
    void anEncryptedKeyIsRefusedWithHowToDecryptIt(KeyForm form) throws Exception {
        Path plain = makeKey("enc-" + form.name().toLowerCase(), KeyForm.RSA_PKCS8);
        Path cert = issue(plain, etcd.caFile(), etcd.caKeyFile(), "extendedKeyUsage=clientAuth");
        Path encrypted = dir.resolve("enc-" + form.name().toLowerCase() + ".key.enc");
        List<String> cmd = new ArrayList<>(List.of("pkey", "-in", plain.toString(), "-aes256", "-passout", "pass:s3cret",
                "-out", encrypted.toString()));
        if (form == KeyForm.RSA_PKCS1) {
            cmd.add("-traditional");   // the old form: Proc-Type: 4,ENCRYPTED
        }
        Openssl.run(dir, cmd.toArray(String[]::new));
        assertThat(Files.readString(encrypted)).contains(form == KeyForm.RSA_PKCS1 ? "Proc-Type: 4,ENCRYPTED" : "ENCRYPTED PRIVATE KEY");

        assertThatThrownBy(() -> EtcdLeaseStore.connect(options(cert, encrypted), new OverlayMetrics()))
                .isInstanceOfSatisfying(UnusableCredentialsException.class, e -> {
                    assertThat(e.problem()).isEqualTo(Problem.ENCRYPTED_KEY);
                    assertThat(e.file()).isEqualTo(encrypted);
                })
                .hasMessageContaining(encrypted.toString())
                .hasMessageContaining("openssl pkey -in " + encrypted);
    }

    @Test
    void aKeyThatIsNotTheCertificatesIsNamed() throws Exception {
        Path key = makeKey("mine", KeyForm.EC_SEC1);
        Path other = makeKey("other", KeyForm.EC_SEC1);
        Path cert = issue(other, etcd.caFile(), etcd.caKeyFile(), "extendedKeyUsage=clientAuth");
        assertThatThrownBy(() -> EtcdLeaseStore.connect(options(cert, key), new OverlayMetrics()))
                .isInstanceOfSatisfying(UnusableCredentialsException.class,
                        e -> assertThat(e.problem()).isEqualTo(Problem.KEY_DOES_NOT_MATCH))
                .hasMessageContaining(key.toString()).hasMessageContaining(cert.toString());
    }

    @Test
    void swappedFilesAreNamed() throws Exception {
        Path key = makeKey("swapped", KeyForm.RSA_PKCS8);
        Path cert = issue(key, etcd.caFile(), etcd.caKeyFile(), "extendedKeyUsage=clientAuth");
        assertThatThrownBy(() -> EtcdLeaseStore.connect(options(key, cert), new OverlayMetrics()))
                .isInstanceOfSatisfying(UnusableCredentialsException.class, e -> {
                    assertThat(e.problem()).isEqualTo(Problem.NO_CERTIFICATE);
                    assertThat(e.file()).isEqualTo(key);
                })
                .hasMessageContaining("--etcd-certfile").hasMessageContaining("found only: a private key");
        assertThatThrownBy(() -> EtcdLeaseStore.connect(options(cert, cert), new OverlayMetrics()))
                .isInstanceOfSatisfying(UnusableCredentialsException.class, e -> assertThat(e.problem()).isEqualTo(Problem.NO_KEY))
                .hasMessageContaining("--etcd-keyfile").hasMessageContaining("found only: a certificate");
    }

    static EtcdOptions options(Path cert, Path key) {
        return new EtcdOptions(etcd.endpoints(), EtcdSecurityIT.PREFIX, Optional.of(etcd.caFile()), Optional.of(cert), Optional.of(key),
                Optional.empty(), Optional.empty(), Duration.ofSeconds(5));
    }

    static Path makeKey(String name, KeyForm form) throws IOException, InterruptedException {
        Path key = dir.resolve(name + ".key");
        String[] args = form.command.clone();
        for (int i = 0; i < args.length; i++) {
            args[i] = args[i].replace("%s", key.toString());
        }
        Openssl.run(dir, args);
        return key;
    }

    /** A certificate for {@code key} signed by {@code ca}, with the given extensions. */
    static Path issue(Path key, Path ca, Path caKey, String extensions) throws IOException, InterruptedException {
        String base = key.getFileName().toString().replace(".key", "");
        Path csr = dir.resolve(base + ".csr");
        Path ext = dir.resolve(base + ".ext");
        Path cert = dir.resolve(base + ".pem");
        Files.writeString(ext, extensions + "\n");
        Openssl.run(dir, "req", "-new", "-key", key.toString(), "-subj", "/CN=" + base, "-out", csr.toString());
        Openssl.run(dir, "x509", "-req", "-in", csr.toString(), "-CA", ca.toString(), "-CAkey", caKey.toString(), "-CAcreateserial",
                "-days", "2", "-extfile", ext.toString(), "-out", cert.toString());
        return cert;
    }
}
