package io.javaoverlay.core.net;

import java.math.BigInteger;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.SecureRandom;
import java.security.spec.NamedParameterSpec;
import java.security.spec.XECPrivateKeySpec;
import java.security.spec.XECPublicKeySpec;
import java.util.Arrays;
import java.util.Base64;

import javax.crypto.KeyAgreement;

/**
 * A WireGuard key: 32 bytes of Curve25519, written as standard base64 with padding (44
 * characters), as {@code wg genkey}, {@code wg pubkey}, wgctrl's {@code ParseKey} and flannel's
 * lease {@code "PublicKey"} spell it. The same type holds private, public and preshared keys.
 */
public record WireguardKey(byte[] bytes) {

    /** The length of every WireGuard key. */
    public static final int LENGTH = 32;

    /** Seeded on first use: parsing keys from leases needs no entropy. */
    private static final class Random {
        static final SecureRandom RANDOM = new SecureRandom();
    }

    public WireguardKey {
        if (bytes == null || bytes.length != LENGTH) {
            throw new IllegalArgumentException("a WireGuard key has " + LENGTH + " bytes");
        }
        bytes = bytes.clone();
    }

    /** Parses base64 text of exactly 32 bytes; anything else (wrong length, URL alphabet, spaces) is refused. */
    public static WireguardKey parse(String text) {
        if (text == null || text.length() != 44) {
            throw new IllegalArgumentException("not a WireGuard key: expected 44 characters of base64 (32 bytes, as wg genkey "
                    + "prints), got " + (text == null ? "nothing" : text.length() + " characters"));
        }
        byte[] b;
        try {
            b = Base64.getDecoder().decode(text);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("not a WireGuard key: \"" + text + "\" is not base64", e);
        }
        if (b.length != LENGTH) {
            throw new IllegalArgumentException("not a WireGuard key: \"" + text + "\" decodes to " + b.length + " bytes, not 32");
        }
        return new WireguardKey(b);
    }

    /** A new private key, clamped as Curve25519 wants (what {@code wg genkey} prints). */
    public static WireguardKey generatePrivate() {
        byte[] b = new byte[LENGTH];
        Random.RANDOM.nextBytes(b);
        b[0] &= (byte) 248;
        b[31] &= 127;
        b[31] |= 64;
        return new WireguardKey(b);
    }

    /**
     * The public key of this private key ({@code wg pubkey}): X25519 of the key with the base point 9,
     * computed by the JDK's own X25519 (no native code, no {@code wg} process).
     */
    public WireguardKey publicKey() {
        try {
            KeyFactory kf = KeyFactory.getInstance("XDH");
            KeyAgreement ka = KeyAgreement.getInstance("X25519");
            ka.init(kf.generatePrivate(new XECPrivateKeySpec(NamedParameterSpec.X25519, bytes)));
            ka.doPhase(kf.generatePublic(new XECPublicKeySpec(NamedParameterSpec.X25519, BigInteger.valueOf(9))), true);
            return new WireguardKey(ka.generateSecret());
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("the JDK cannot compute X25519 (needed for WireGuard keys): " + e.getMessage(), e);
        }
    }

    @Override
    public byte[] bytes() {
        return bytes.clone();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof WireguardKey k && Arrays.equals(bytes, k.bytes);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(bytes);
    }

    /** The base64 text. For a private key this is the secret itself: never log it. */
    @Override
    public String toString() {
        return Base64.getEncoder().encodeToString(bytes);
    }
}
