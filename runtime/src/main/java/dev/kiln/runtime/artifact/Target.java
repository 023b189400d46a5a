package dev.kiln.runtime.artifact;

/**
 * The machine an artifact was compiled for. For the JVM: the Java feature version (25 for Java 25) the classes need
 * at least, and the float vector width in bits the kernels were tiled for (the Vector API's preferred species; 0
 * when unknown). A different vector width still runs correctly, only perhaps slower, so loading notes it and goes on.
 *
 * @param javaFeature the lowest Java feature version that may load the artifact
 * @param vectorBits preferred vector size in bits at compile time, 0 when unknown
 */
public record Target(int javaFeature, int vectorBits) {
  /** This JVM: its feature version and the preferred vector width (0 when jdk.incubator.vector is not present). */
  public static Target host() { return new Target(Runtime.version().feature(), hostVectorBits()); }

  /** The preferred vector width here, or 0 when the incubator module is not in the boot layer. */
  public static int hostVectorBits() {
    // Touching jdk.incubator.vector classes without the module would fail to link, so ask the layer first.
    if (ModuleLayer.boot().findModule("jdk.incubator.vector").isEmpty()) return 0;
    return VectorProbe.bits();
  }

  /** Kept apart so that its linkage to the incubator module happens only when the module is present. */
  private static final class VectorProbe {
    static int bits() { return jdk.incubator.vector.VectorShape.preferredShape().vectorBitSize(); }
  }
}
