package dev.kiln.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The {@code ./kiln} launcher's JDK discovery, with fake JDKs whose {@code bin/java -version} prints a chosen
 * version. {@code KILN_PRINT_JAVA=1} makes the launcher print its choice and exit before building anything.
 */
class LauncherTest {
  private static final Path LAUNCHER = Path.of("..", "kiln").toAbsolutePath().normalize();

  @TempDir Path dir;

  record Run(int code, String out, String err) {}

  /** A JDK home whose java prints {@code version} in the format of {@code java -version}. */
  private Path fakeJdk(String name, String version) throws IOException {
    Path bin = Files.createDirectories(dir.resolve(name).resolve("bin"));
    Path java = bin.resolve("java");
    Files.writeString(java, "#!/usr/bin/env bash\necho 'openjdk version \"" + version + "\" 2025-09-16' >&2\n");
    Files.setPosixFilePermissions(java, PosixFilePermissions.fromString("rwxr-xr-x"));
    return dir.resolve(name);
  }

  private static Run launcher(Map<String, String> env) throws Exception {
    assumeTrue(Files.isExecutable(Path.of("/bin/bash")) || Files.isExecutable(Path.of("/usr/bin/bash")), "needs bash");
    ProcessBuilder pb = new ProcessBuilder("bash", LAUNCHER.toString(), "--help");
    pb.environment().remove("KILN_JAVA");
    pb.environment().put("KILN_PRINT_JAVA", "1");
    pb.environment().putAll(env);
    Process p = pb.start();
    p.getOutputStream().close();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
    return new Run(p.waitFor(), out.strip(), err.strip());
  }

  @Test
  void javaHomeWithANewEnoughJdkWins() throws Exception {
    Path home = fakeJdk("jdk-26", "26.0.1");
    Run r = launcher(Map.of("JAVA_HOME", home.toString()));
    assertEquals(0, r.code(), r.err());
    assertEquals(home.resolve("bin/java").toString(), r.out());
  }

  @Test
  void tooOldJavaHomeIsSkipped() throws Exception {
    Path old = fakeJdk("jdk-17", "17.0.15");
    Run r = launcher(Map.of("JAVA_HOME", old.toString()));
    // The machine running this test has a JDK 25 (Maven's toolchain found one), so the search goes on to it.
    assertEquals(0, r.code(), r.err());
    assertNotEquals(old.resolve("bin/java").toString(), r.out());
    assertTrue(r.out().endsWith("/bin/java"), r.out());
  }

  @Test
  void explicitJavaMustBeNewEnough() throws Exception {
    Path old = fakeJdk("jdk-8", "1.8.0_402");
    Run r = launcher(Map.of("KILN_JAVA", old.resolve("bin/java").toString()));
    assertEquals(1, r.code());
    assertEquals("kiln: KILN_JAVA=" + old.resolve("bin/java") + " is not a Java 25 or newer (found: 8)", r.err());
  }

  @Test
  void earlyAccessVersionStringsParse() throws Exception {
    Path ea = fakeJdk("jdk-27-ea", "27-ea");
    Run r = launcher(Map.of("KILN_JAVA", ea.resolve("bin/java").toString()));
    assertEquals(0, r.code(), r.err());
    assertEquals(ea.resolve("bin/java").toString(), r.out());
  }
}
