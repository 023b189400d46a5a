package dev.kiln.frontend.script;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

/** Locates the TorchScript fixtures under src/test/resources/torchscript (copied to the test classpath). */
final class Fixtures {
  private Fixtures() {}

  static Path root() {
    URL url = Fixtures.class.getClassLoader().getResource("torchscript/extract_code.py");
    if (url == null) throw new IllegalStateException("torchscript fixtures are not on the test classpath");
    try {
      return Path.of(url.toURI()).getParent();
    } catch (URISyntaxException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Every .py file below {@code dir} (relative to the fixture root), sorted by path. */
  static List<Path> pyFiles(String dir) {
    try (Stream<Path> s = Files.walk(root().resolve(dir))) {
      return s.filter(p -> p.toString().endsWith(".py")).sorted().toList();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Parses a fixture file, naming it by its path relative to the fixture root. */
  static ScriptModule parse(Path file) {
    try {
      return ScriptParser.parse(Files.readString(file), root().relativize(file).toString());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static ScriptModule parse(String relativePath) { return parse(root().resolve(relativePath)); }

  /** The single .py file under {@code dir} whose name ends with {@code suffix} (mangled names vary between runs). */
  static ScriptModule parseOnly(String dir, String suffix) {
    List<Path> hits = pyFiles(dir).stream().filter(p -> p.toString().endsWith(suffix)).toList();
    if (hits.size() != 1) throw new IllegalStateException("expected one " + suffix + " under " + dir + ", found " + hits);
    return parse(hits.getFirst());
  }
}
