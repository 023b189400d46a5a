package dev.kiln.frontend.torchscript.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/** Every builtin the real archives call has a lowering, or is on the documented list of exclusions. */
class BuiltinCorpusTest {
  /** A callee {@code torch.f(} or {@code ops.ns.f(} not preceded by a dotted name (so not __torch__.torch.nn...). */
  private static final Pattern CALLEE = Pattern.compile("(?<![\\w.])((?:torch|ops\\.[a-z_]+)\\.[A-Za-z_]\\w*)\\(");

  /** The names covered, as the corpus of 1.13 archives spells them. */
  static final Set<String> CORPUS_COVERED = Set.of("ops.prim.NumToTensor", "ops.prim.device", "ops.prim.dtype",
      "ops.quantized.linear_dynamic", "ops.quantized.linear_prepack", "ops.quantized.linear_unpack",
      "ops.prim.is_cuda", "ops.prim.is_nested", "ops.prim.requires_grad", "torch.__contains__", "torch._convolution",
      "torch._native_multi_head_attention", "torch._transformer_encoder_layer_fwd", "torch.adaptive_avg_pool2d",
      "torch.add", "torch.add_", "torch.all", "torch.any", "torch.append", "torch.baddbmm", "torch.batch_norm", "torch.bmm",
      "torch.cat", "torch.chunk", "torch.contiguous", "torch.conv2d", "torch.device", "torch.dim", "torch.div",
      "torch.dropout", "torch.dropout_", "torch.eq", "torch.expand", "torch.find", "torch.flatten", "torch.floordiv",
      "torch.format", "torch.gt", "torch.hardtanh", "torch.hardtanh_", "torch.index_select", "torch.is_autocast_enabled",
      "torch.is_floating_point", "torch.is_grad_enabled", "torch.layer_norm", "torch.len", "torch.linear", "torch.list",
      "torch.logical_or", "torch.lstm", "torch.lt", "torch.masked_fill", "torch.masked_fill_", "torch.max_pool2d",
      "torch.mul", "torch.ne", "torch.pad", "torch.quantized_lstm", "torch.relu", "torch.relu_", "torch.remainder", "torch.repeat",
      "torch.reshape", "torch.select", "torch.size", "torch.slice", "torch.softmax", "torch.split", "torch.sqrt",
      "torch.squeeze", "torch.sub", "torch.sum", "torch.to", "torch.transpose", "torch.unsqueeze", "torch.view",
      "torch.warn", "torch.zeros", "torch.zeros_like");

  static Path corpus() {
    for (String p : new String[] {"src/test/resources/torchscript/archives", "frontend/src/test/resources/torchscript/archives"}) {
      Path d = Path.of(p);
      if (Files.isDirectory(d)) return d;
    }
    throw new AssertionError("archive corpus not found from " + Path.of("").toAbsolutePath());
  }

  /** Callee name -> first file calling it. */
  static TreeMap<String, String> callees() throws IOException {
    TreeMap<String, String> out = new TreeMap<>();
    try (Stream<Path> files = Files.walk(corpus())) {
      for (Path f : files.filter(p -> p.toString().endsWith(".py")).sorted().toList()) {
        Matcher m = CALLEE.matcher(Files.readString(f));
        while (m.find()) out.putIfAbsent(m.group(1), f.toString());
      }
    }
    return out;
  }

  @Test
  void everyCorpusCalleeHasALoweringOrIsExcluded() throws IOException {
    TreeMap<String, String> callees = callees();
    assertTrue(callees.size() > 80, "the corpus should call many builtins, found " + callees.keySet());
    TreeSet<String> missing = new TreeSet<>();
    for (String n : callees.keySet())
      if (BuiltinTable.find(n) == null && !BuiltinTable.EXCLUDED.contains(n)) missing.add(n + " (called in " + callees.get(n) + ")");
    assertEquals(Set.of(), missing, "builtins without a lowering");
  }

  @Test
  void coveredListMatchesTheCorpus() throws IOException {
    TreeSet<String> covered = new TreeSet<>(callees().keySet());
    covered.removeAll(BuiltinTable.EXCLUDED);
    assertEquals(new TreeSet<>(CORPUS_COVERED), covered);
    for (String n : CORPUS_COVERED) assertNotNull(BuiltinTable.find(n), n);
  }

  @Test
  void exclusionsAreNotRegisteredAndAreCalledByTheCorpus() throws IOException {
    Set<String> called = callees().keySet();
    for (String n : BuiltinTable.EXCLUDED) {
      assertFalse(BuiltinTable.names().contains(n), n + " is both excluded and registered");
      assertTrue(called.contains(n), n + " is excluded but no archive calls it");
    }
  }
}
