package dev.kiln.codegen.jvm;

/**
 * Options of {@link JvmBackend#compile}.
 *
 * @param className the binary name of the generated entry class, e.g. {@code dev.kiln.gen.Forward}; not null
 * @param verify run ASM's CheckClassAdapter over every generated class (slower; tests turn it on)
 */
public record JvmOptions(String className, boolean verify) {
  public JvmOptions {
    if (className == null || !className.matches("([A-Za-z_$][A-Za-z0-9_$]*\\.)*[A-Za-z_$][A-Za-z0-9_$]*"))
      throw new IllegalArgumentException("not a Java class name: " + className);
  }

  /** {@code dev.kiln.gen.<GraphName>}, not verified. */
  public static JvmOptions defaults() { return new JvmOptions("dev.kiln.gen.Model", false); }

  public JvmOptions withVerify(boolean v) { return new JvmOptions(className, v); }
}
