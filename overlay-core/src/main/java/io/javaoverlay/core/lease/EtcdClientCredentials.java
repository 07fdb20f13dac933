package io.javaoverlay.core.lease;

import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.Signature;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;

import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.openssl.PEMEncryptedKeyPair;
import org.bouncycastle.openssl.PEMException;
import org.bouncycastle.openssl.PEMKeyPair;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;
import org.bouncycastle.pkcs.PKCS10CertificationRequest;
import org.bouncycastle.pkcs.PKCS8EncryptedPrivateKeyInfo;

/**
 * The client certificate chain and private key given to {@code --etcd-certfile} and {@code --etcd-keyfile}, read
 * as flannel (Go's {@code tls.X509KeyPair}) reads them: the key may be PKCS#1 ({@code BEGIN RSA PRIVATE KEY}),
 * SEC1 ({@code BEGIN EC PRIVATE KEY}, with or without the {@code EC PARAMETERS} block openssl puts before it) or
 * PKCS#8 ({@code BEGIN PRIVATE KEY}); the certificate file may hold the whole chain, leaf first.
 *
 * <p>Netty alone reads only unencrypted PKCS#8, so the key is parsed here (Bouncy Castle's PEM reader) and handed
 * on as a JDK {@link PrivateKey}. Only this class touches Bouncy Castle, and only {@link #read} loads it: an agent
 * without etcd client certificates never loads those classes (its start time is watched).
 *
 * <p>Encrypted keys are refused, as flannel refuses them: there is no flag for a passphrase, and a passphrase on
 * the command line would be worse than a key file readable by root alone.
 */
public record EtcdClientCredentials(PrivateKey key, List<X509Certificate> chain) {

    public EtcdClientCredentials {
        if (key == null || chain == null || chain.isEmpty()) {
            throw new IllegalArgumentException("a client key and at least one certificate are required");
        }
        chain = List.copyOf(chain);
    }

    /** Why a certificate or key file cannot be used; tests and callers branch on this, never on the message. */
    public enum Problem { NOT_PEM, NO_KEY, ENCRYPTED_KEY, NO_CERTIFICATE, KEY_DOES_NOT_MATCH }

    /** A certificate or key file that cannot be used, with the file named and what to do about it. */
    public static final class UnusableCredentialsException extends IllegalArgumentException {
        private final Problem problem;
        private final Path file;

        UnusableCredentialsException(Problem problem, Path file, String message, Throwable cause) {
            super(message, cause);
            this.problem = problem;
            this.file = file;
        }

        public Problem problem() {
            return problem;
        }

        public Path file() {
            return file;
        }
    }

    /** Reads and checks both files: the key must be the private half of the first certificate's public key. */
    public static EtcdClientCredentials read(Path certFile, Path keyFile) throws IOException {
        List<X509Certificate> chain = readChain(certFile);
        PrivateKey key = readKey(keyFile);
        if (!matches(key, chain.get(0).getPublicKey())) {
            throw new UnusableCredentialsException(Problem.KEY_DOES_NOT_MATCH, keyFile, "the key in " + keyFile
                    + " does not belong to the certificate in " + certFile + " (" + chain.get(0).getSubjectX500Principal()
                    + "): give --etcd-keyfile the key the certificate was issued for", null);
        }
        return new EtcdClientCredentials(key, chain);
    }

    static List<X509Certificate> readChain(Path certFile) throws IOException {
        JcaX509CertificateConverter converter = new JcaX509CertificateConverter();
        List<X509Certificate> chain = new ArrayList<>();
        List<String> others = new ArrayList<>();
        try (PEMParser pem = parser(certFile)) {
            for (Object o = readObject(pem, certFile); o != null; o = readObject(pem, certFile)) {
                if (o instanceof X509CertificateHolder holder) {
                    chain.add(converter.getCertificate(holder));
                } else {
                    others.add(describe(o));
                }
            }
        } catch (CertificateException e) {
            throw new UnusableCredentialsException(Problem.NOT_PEM, certFile, "cannot read the certificate in " + certFile
                    + " (given to --etcd-certfile): " + e.getMessage(), e);
        }
        if (chain.isEmpty()) {
            throw new UnusableCredentialsException(Problem.NO_CERTIFICATE, certFile, "no certificate (BEGIN CERTIFICATE) in "
                    + certFile + " (given to --etcd-certfile)" + found(others) + ": the certificate file holds the client's"
                    + " certificate, then any intermediate CAs, in PEM", null);
        }
        return chain;
    }

    static PrivateKey readKey(Path keyFile) throws IOException {
        JcaPEMKeyConverter converter = new JcaPEMKeyConverter();
        List<String> others = new ArrayList<>();
        try (PEMParser pem = parser(keyFile)) {
            for (Object o = readObject(pem, keyFile); o != null; o = readObject(pem, keyFile)) {
                if (o instanceof PEMKeyPair pair) {                  // PKCS#1 RSA or SEC1 EC
                    return converter.getKeyPair(pair).getPrivate();
                } else if (o instanceof PrivateKeyInfo info) {       // PKCS#8
                    return converter.getPrivateKey(info);
                } else if (o instanceof PKCS8EncryptedPrivateKeyInfo || o instanceof PEMEncryptedKeyPair) {
                    throw new UnusableCredentialsException(Problem.ENCRYPTED_KEY, keyFile, "the key in " + keyFile
                            + " (given to --etcd-keyfile) is encrypted; flannel does not take encrypted keys either,"
                            + " as neither has a way to ask for the passphrase. Decrypt it once with"
                            + " `openssl pkey -in " + keyFile + " -out " + keyFile + ".plain` (it asks for the passphrase),"
                            + " make the result readable by root alone (chmod 600) and give that file to --etcd-keyfile", null);
                } else {
                    // e.g. the EC PARAMETERS block `openssl ecparam -genkey` writes before the key
                    others.add(describe(o));
                }
            }
        } catch (PEMException e) {
            // the converter could not make a JDK key of it (an algorithm the JDK lacks, a damaged key)
            throw new UnusableCredentialsException(Problem.NOT_PEM, keyFile, "cannot use the private key in " + keyFile
                    + " (given to --etcd-keyfile): " + e.getMessage(), e);
        }
        throw new UnusableCredentialsException(Problem.NO_KEY, keyFile, "no private key in " + keyFile + " (given to --etcd-keyfile)"
                + found(others) + ": expected a PEM block BEGIN PRIVATE KEY, BEGIN RSA PRIVATE KEY or BEGIN EC PRIVATE KEY", null);
    }

    private static PEMParser parser(Path file) throws IOException {
        Reader r = Files.newBufferedReader(file, StandardCharsets.US_ASCII);
        return new PEMParser(r);
    }

    /** The next PEM object, or null at the end; a block that is not PEM or not understood names the file. */
    private static Object readObject(PEMParser pem, Path file) {
        try {
            return pem.readObject();
        } catch (IOException e) {
            throw new UnusableCredentialsException(Problem.NOT_PEM, file, "cannot read " + file + " as PEM: " + e.getMessage()
                    + " (a DER or PKCS#12 file converts with: openssl x509 -in FILE -out FILE.pem, openssl pkey -in FILE -out"
                    + " FILE.pem, or openssl pkcs12 -in FILE -nodes)", e);
        }
    }

    /** What a PEM block holds, in the words of its BEGIN line rather than Bouncy Castle's class names. */
    private static String describe(Object o) {
        if (o instanceof X509CertificateHolder) {
            return "a certificate";
        } else if (o instanceof PEMKeyPair || o instanceof PrivateKeyInfo) {
            return "a private key";
        } else if (o instanceof PKCS8EncryptedPrivateKeyInfo || o instanceof PEMEncryptedKeyPair) {
            return "an encrypted private key";
        } else if (o instanceof SubjectPublicKeyInfo) {
            return "a public key";
        } else if (o instanceof ASN1ObjectIdentifier) {
            return "EC parameters";
        } else if (o instanceof PKCS10CertificationRequest) {
            return "a certificate request (CSR)";
        }
        return "a " + o.getClass().getSimpleName();
    }

    private static String found(List<String> others) {
        return others.isEmpty() ? " (the file holds no PEM block)" : " (found only: " + String.join(", ", others) + ")";
    }

    /** Signs a few bytes with the key and checks them with the certificate's public key: works for RSA, EC and EdDSA. */
    private static boolean matches(PrivateKey key, PublicKey pub) {
        if (!key.getAlgorithm().equals(pub.getAlgorithm())) {
            return false;
        }
        String alg = switch (pub.getAlgorithm()) {
            case "RSA" -> "SHA256withRSA";
            case "EC" -> "SHA256withECDSA";
            default -> pub.getAlgorithm();  // Ed25519, Ed448: the key type names its signature
        };
        try {
            byte[] data = "javaoverlay key check".getBytes(StandardCharsets.US_ASCII);
            Signature s = Signature.getInstance(alg);
            s.initSign(key);
            s.update(data);
            byte[] sig = s.sign();
            s.initVerify(pub);
            s.update(data);
            return s.verify(sig);
        } catch (GeneralSecurityException e) {
            return false;
        }
    }
}
