package dev.earshot.gateway.protocol.whip;

import java.security.SecureRandom;

/**
 * The secure random generator behind WHIP's unguessable values (resource ids, ETags). It lives in this holder class, created on
 * first use, and native-config declares the class initialised at run time ({@code native-config/.../dev.earshot/gateway/
 * native-image.properties}): a generator created while the native image is built would be frozen into the executable,
 * with the same seed in every process, and GraalVM refuses to build it. {@code NativeClassInitIT} checks that no class
 * initialised at build time holds one.
 */
final class WhipIds {

    private static final SecureRandom RANDOM = new SecureRandom();

    private WhipIds() {
    }

    /** Fills the array with random bytes (thread-safe). */
    static void nextBytes(byte[] bytes) {
        RANDOM.nextBytes(bytes);
    }
}
