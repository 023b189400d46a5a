package dev.kiln.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The dependency direction of ARCHITECTURE.md, checked on the module poms and on the Java imports: ir depends on
 * nothing, runtime on ir only, nothing depends on cli, samples use public runtime/ir/frontend only.
 */
class ModuleBoundaryTest {
  private static final Path ROOT = Path.of("..").toAbsolutePath().normalize();

  /** Kiln modules each module may depend on (compile scope). */
  private static final Map<String, Set<String>> ALLOWED = Map.of(
      "ir", Set.of(),
      "runtime", Set.of("ir"),
      "frontend", Set.of("ir", "runtime"),
      "passes", Set.of("ir", "runtime"),
      "codegen-jvm", Set.of("ir", "passes", "runtime"),
      "codegen-llvm", Set.of("ir", "passes", "runtime"),
      "cli", Set.of("ir", "runtime", "frontend", "passes", "codegen-jvm", "codegen-llvm"),
      "tests", Set.of("ir", "runtime", "frontend", "passes", "codegen-jvm", "codegen-llvm"),
      "samples", Set.of("ir", "runtime", "frontend"),
      "bench", Set.of("ir", "runtime", "frontend", "passes", "codegen-jvm", "codegen-llvm"));

  /** Top package of an import, {@code codegen.jvm} standing for the module codegen-jvm. */
  private static final Pattern IMPORT = Pattern.compile("^import (?:static )?dev\\.kiln\\.(codegen\\.[a-z]+|[a-z]+)", Pattern.MULTILINE);

  private static final Pattern KILN_DEP = Pattern.compile("<artifactId>kiln-([a-z-]+)</artifactId>");

  @Test
  void pomDependenciesPointOneWay() throws IOException {
    for (var e : ALLOWED.entrySet()) {
      String pom = Files.readString(ROOT.resolve(e.getKey()).resolve("pom.xml"));
      String deps = pom.contains("<dependencies>") ? pom.substring(pom.indexOf("<dependencies>")) : "";
      Set<String> found = new TreeSet<>();
      Matcher m = KILN_DEP.matcher(deps);
      while (m.find()) found.add(m.group(1));
      assertTrue(e.getValue().containsAll(found), e.getKey() + " depends on " + found + "; allowed: " + e.getValue());
    }
  }

  @Test
  void irHasNoThirdPartyDependencies() throws IOException {
    String pom = Files.readString(ROOT.resolve("ir/pom.xml"));
    String deps = pom.contains("<dependencies>") ? pom.substring(pom.indexOf("<dependencies>"), pom.indexOf("</dependencies>")) : "";
    assertEquals(0, deps.split("<dependency>", -1).length - 1, "ir must not declare dependencies:\n" + deps);
  }

  @Test
  void javaImportsRespectTheLayers() throws IOException {
    for (var e : ALLOWED.entrySet()) {
      Path src = ROOT.resolve(e.getKey()).resolve("src/main/java");
      if (!Files.isDirectory(src)) continue;
      try (Stream<Path> files = Files.walk(src)) {
        for (Path f : files.filter(p -> p.toString().endsWith(".java")).toList()) {
          Matcher m = IMPORT.matcher(Files.readString(f));
          while (m.find()) {
            String mod = m.group(1).replace('.', '-');
            assertTrue(mod.equals(e.getKey()) || e.getValue().contains(mod), ROOT.relativize(f) + " imports dev.kiln." + m.group(1));
          }
        }
      }
    }
  }

}
