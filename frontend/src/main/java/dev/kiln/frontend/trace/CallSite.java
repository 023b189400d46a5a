package dev.kiln.frontend.trace;

import java.security.CodeSource;

/**
 * Finds the user's line that caused an event: the first stack frame whose class is not part of Kiln's tracing code.
 * Kiln's own classes are recognised by package and by being loaded from the same place as this class, so a user's
 * class that happens to share the package (a test, say) still counts as the user's.
 */
final class CallSite {
  private CallSite() {}

  private static final StackWalker WALKER = StackWalker.getInstance(StackWalker.Option.RETAIN_CLASS_REFERENCE);
  private static final String PACKAGE = CallSite.class.getPackageName();
  private static final CodeSource OWN = CallSite.class.getProtectionDomain().getCodeSource();

  /** File, line and {@code Class.method} of the caller; {@code <unknown>} fields when no frame qualifies. */
  record Site(String file, int line, String method) {
    String where() { return file + ":" + line; }
  }

  static Site find() {
    return WALKER.walk(frames -> frames.filter(f -> !isKiln(f.getDeclaringClass())).findFirst()
        .map(f -> new Site(f.getFileName() != null ? f.getFileName() : "<unknown>", f.getLineNumber(),
            className(f.getDeclaringClass()) + "." + f.getMethodName()))
        .orElse(new Site("<unknown>", -1, "<unknown>")));
  }

  /** The simple name, or for an anonymous class its binary name without the package ({@code Outer$1}). */
  private static String className(Class<?> c) {
    if (!c.getSimpleName().isEmpty()) return c.getSimpleName();
    return c.getName().substring(c.getName().lastIndexOf('.') + 1);
  }

  private static boolean isKiln(Class<?> c) {
    if (!c.getPackageName().startsWith(PACKAGE)) return false;
    CodeSource cs = c.getProtectionDomain().getCodeSource();
    if (cs == null || OWN == null) return cs == OWN;
    return java.util.Objects.equals(cs.getLocation(), OWN.getLocation());
  }
}
