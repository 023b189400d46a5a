package dev.kiln.runtime.artifact;

/**
 * The Kiln release this runtime belongs to, written into every artifact, and the rule for which artifacts it loads:
 * same major version (for 0.x, the same minor too, since 0.x releases may change the format) and not newer than
 * this runtime. A patch release never changes what an artifact means.
 */
public final class KilnVersion {
  private KilnVersion() {}

  /** This runtime's version. Kept in step with the Maven project version by hand (the runtime reads no resources). */
  public static final String CURRENT = "0.1.0";

  /**
   * Why this runtime cannot load an artifact written by {@code written}, or null when it can.
   *
   * @param written the version from a manifest, not null
   */
  public static String incompatibility(String written) {
    int[] w = parse(written), r = parse(CURRENT);
    if (w == null) return "Kiln version \"" + written + "\" is not of the form MAJOR.MINOR.PATCH";
    if (w[0] != r[0] || (r[0] == 0 && w[1] != r[1]))
      return "written by Kiln " + written + ", this runtime is Kiln " + CURRENT + " (the major" + (r[0] == 0 ? " and minor" : "")
          + " version must match)";
    if (compare(w, r) > 0) return "written by Kiln " + written + ", newer than this runtime (Kiln " + CURRENT + ")";
    return null;
  }

  /** MAJOR.MINOR.PATCH with an optional -suffix, or null. */
  static int[] parse(String v) {
    String core = v.contains("-") ? v.substring(0, v.indexOf('-')) : v;
    String[] parts = core.split("\\.", -1);
    if (parts.length != 3) return null;
    int[] out = new int[3];
    for (int i = 0; i < 3; i++) {
      if (parts[i].isEmpty() || parts[i].length() > 6 || !parts[i].chars().allMatch(Character::isDigit)) return null;
      out[i] = Integer.parseInt(parts[i]);
    }
    return out;
  }

  private static int compare(int[] a, int[] b) {
    for (int i = 0; i < 3; i++) if (a[i] != b[i]) return Integer.compare(a[i], b[i]);
    return 0;
  }
}
