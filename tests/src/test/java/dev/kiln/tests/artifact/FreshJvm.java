package dev.kiln.tests.artifact;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.ir.Graph;
import dev.kiln.runtime.exec.KilnModel;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Runs {@link RunArtifactMain} in a child JVM (this JVM's {@code java}) whose class path is exactly runtime, ir and
 * RunArtifactMain, as a service that only runs artifacts would have it.
 */
final class FreshJvm {
  private FreshJvm() {}

  /**
   * @param work where the child's stdout and stderr go
   * @param absent classes whose jars must not be on the child's class path (the backend that compiled the artifact)
   * @return the child's stdout; fails the test if it exits non-zero or takes over 120 s
   */
  static String run(Path work, Path artifact, Path in, List<Path> outs, Class<?>... absent) throws Exception {
    String java = ProcessHandle.current().info().command().orElseThrow(() -> new IllegalStateException("this JVM's command is unknown"));
    List<String> cp = new ArrayList<>();
    for (Class<?> c : List.of(RunArtifactMain.class, KilnModel.class, Graph.class)) {
      String loc = jarOf(c);
      if (!cp.contains(loc)) cp.add(loc);
    }
    for (Class<?> c : absent) assertTrue(!cp.contains(jarOf(c)), "the child must run without " + c.getName() + ": " + cp);
    List<String> cmd = new ArrayList<>(List.of(java, "--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED",
        "-cp", String.join(File.pathSeparator, cp), RunArtifactMain.class.getName(), artifact.toString(), in.toString(), "--"));
    for (Path o : outs) cmd.add(o.toString());
    Path stdout = work.resolve("child.out"), stderr = work.resolve("child.err");
    Process p = new ProcessBuilder(cmd).redirectOutput(stdout.toFile()).redirectError(stderr.toFile()).start();
    if (!p.waitFor(120, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new AssertionError("the child JVM did not finish in 120 s: " + String.join(" ", cmd));
    }
    String out = Files.readString(stdout), err = Files.readString(stderr);
    assertEquals(0, p.exitValue(), "child JVM failed: " + String.join(" ", cmd) + "\n--- stdout\n" + out + "--- stderr\n" + err);
    return out;
  }

  private static String jarOf(Class<?> c) throws Exception {
    return Path.of(c.getProtectionDomain().getCodeSource().getLocation().toURI()).toString();
  }
}
