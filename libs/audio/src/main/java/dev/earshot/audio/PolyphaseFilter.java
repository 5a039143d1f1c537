package dev.earshot.audio;

import java.util.concurrent.ConcurrentHashMap;

/**
 * The coefficient bank of a polyphase windowed-sinc resampler for one reduced ratio {@code up/down} (L/M),
 * designed once and shared by every session that converts at that ratio.
 *
 * <p>The prototype is a continuous kernel in units of input samples,
 * {@code g(t) = 2fc sinc(2fc t) w(t)} for {@code |t| <= taps/2}, with {@code w} a Kaiser window. Phase {@code p}
 * of the bank holds {@code g(p/L + taps/2 - 1 - i)} for {@code i = 0 .. taps-1}: the weights of input samples
 * {@code base - taps/2 + 1 .. base + taps/2} for an output whose time falls {@code p/L} of a sample after input
 * sample {@code base}. The kernel is centred on the output time, so the filter adds no delay. Every phase is
 * normalised to a DC gain of exactly 1.
 *
 * <p>Design (all relative to {@code minRate = min(inRate, outRate)}): cut-off {@value #CUTOFF} x minRate, transition
 * band {@code 0.40 .. 0.50} x minRate, Kaiser {@code beta} for {@value #ATTENUATION_DB} dB, so the passband up to
 * 0.40 x minRate is flat and everything from 0.50 x minRate (the output or input Nyquist frequency) up is
 * suppressed. Taps per phase follow Kaiser's formula and are rounded up to a multiple of 4.
 *
 * <p>When L is too large for an exact bank (odd rates such as 47999 Hz), the bank holds
 * {@value #INTERPOLATED_PHASES} + 1 phases and the resampler interpolates linearly between the two nearest.
 */
final class PolyphaseFilter {

    /** Cut-off, as a fraction of the lower of the two rates. */
    static final double CUTOFF = 0.45;
    /** Width of the transition band (0.40 .. 0.50), as a fraction of the lower of the two rates. */
    static final double TRANSITION = 0.10;
    /** Stopband attenuation the Kaiser window is designed for. */
    static final double ATTENUATION_DB = 80.0;
    static final double BETA = 0.1102 * (ATTENUATION_DB - 8.7);

    /** Exact banks are kept up to this many phases ... */
    static final int MAX_EXACT_PHASES = 4096;
    /** ... and this many coefficients (1 MiB of floats). */
    static final int MAX_EXACT_COEFFICIENTS = 1 << 18;
    /** Phases of an interpolated bank (it stores one more, the next sample's phase 0). */
    static final int INTERPOLATED_PHASES = 512;

    private record Ratio(int up, int down) {
    }

    private static final ConcurrentHashMap<Ratio, PolyphaseFilter> CACHE = new ConcurrentHashMap<>();

    /** Interpolation factor L. */
    final int up;
    /** Decimation factor M. */
    final int down;
    /** Taps per phase, a multiple of 4. */
    final int taps;
    /** Phases the bank is indexed by: L for an exact bank, {@link #INTERPOLATED_PHASES} otherwise. */
    final int phases;
    /** Whether the resampler interpolates between phase {@code p} and {@code p + 1}. */
    final boolean interpolated;
    /** Phase-major: coefficient {@code i} of phase {@code p} is at {@code p * taps + i}. */
    final float[] coefficients;

    private PolyphaseFilter(int up, int down, int taps, int phases, boolean interpolated, float[] coefficients) {
        this.up = up;
        this.down = down;
        this.taps = taps;
        this.phases = phases;
        this.interpolated = interpolated;
        this.coefficients = coefficients;
    }

    /** The bank for converting {@code inRate} to {@code outRate}, designed on first use and cached. */
    static PolyphaseFilter forRates(int inRate, int outRate) {
        int gcd = gcd(inRate, outRate);
        return CACHE.computeIfAbsent(new Ratio(outRate / gcd, inRate / gcd), r -> design(r.up(), r.down()));
    }

    /** Taps per phase for a reduced ratio (Kaiser's estimate for the transition band, rounded up to a multiple of 4). */
    static int tapsFor(int up, int down) {
        double transition = TRANSITION * Math.min(1.0, (double) up / down); // cycles per input sample
        int n = (int) Math.ceil((ATTENUATION_DB - 7.95) / (2.285 * 2 * Math.PI * transition));
        return (n + 3) & ~3;
    }

    private static PolyphaseFilter design(int up, int down) {
        double cutoff = CUTOFF * Math.min(1.0, (double) up / down); // cycles per input sample
        int taps = tapsFor(up, down);
        boolean interpolated = up > MAX_EXACT_PHASES || (long) up * taps > MAX_EXACT_COEFFICIENTS;
        int phases = interpolated ? INTERPOLATED_PHASES : up;
        int rows = interpolated ? phases + 1 : phases;
        int half = taps / 2;
        double i0Beta = besselI0(BETA);
        float[] coefficients = new float[rows * taps];
        double[] row = new double[taps];
        for (int p = 0; p < rows; p++) {
            double fraction = (double) p / phases;
            double sum = 0;
            for (int i = 0; i < taps; i++) {
                row[i] = kernel(fraction + (half - 1) - i, cutoff, half, i0Beta);
                sum += row[i];
            }
            for (int i = 0; i < taps; i++) {
                coefficients[p * taps + i] = (float) (row[i] / sum);
            }
        }
        return new PolyphaseFilter(up, down, taps, phases, interpolated, coefficients);
    }

    /** Kaiser-windowed sinc at {@code t} input samples from the centre. */
    private static double kernel(double t, double cutoff, int half, double i0Beta) {
        double r = t / half;
        if (r < -1 || r > 1) {
            return 0;
        }
        double x = 2 * cutoff * t;
        double sinc = x == 0 ? 1 : Math.sin(Math.PI * x) / (Math.PI * x);
        return 2 * cutoff * sinc * besselI0(BETA * Math.sqrt(1 - r * r)) / i0Beta;
    }

    /** Modified Bessel function of the first kind, order 0, by its power series (converges fast for the betas used). */
    static double besselI0(double x) {
        double q = x * x / 4;
        double term = 1;
        double sum = 1;
        for (int k = 1; k < 1000; k++) {
            term *= q / ((double) k * k);
            sum += term;
            if (term < sum * 1e-17) {
                break;
            }
        }
        return sum;
    }

    static int gcd(int a, int b) {
        while (b != 0) {
            int t = a % b;
            a = b;
            b = t;
        }
        return a;
    }
}
