package dev.kiln.frontend.archive;

import static org.junit.jupiter.api.Assertions.*;

import dev.kiln.ir.DType;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/** Opens the archives tests/fixtures/gen_models.py wrote with PyTorch 1.13 and checks them against its .npy dumps. */
class TorchArchiveFixtureTest {

  @TestFactory
  Stream<DynamicTest> everyFixtureOpens() throws IOException {
    List<Path> archives;
    try (Stream<Path> s = Files.walk(Fixtures.models())) {
      archives = s.filter(p -> p.toString().endsWith(".pt")).sorted().toList();
    }
    assertTrue(archives.size() >= 25, "expected the generated fixtures, found " + archives);
    return archives.stream().map(p -> DynamicTest.dynamicTest(p.getParent().getFileName() + "/" + p.getFileName(), () -> {
      TorchArchive a = TorchArchive.open(p);
      String stem = p.getFileName().toString().replace(".pt", "");
      assertEquals(stem, a.rootPrefix(), "torch names the root folder after the file stem at save time");
      assertTrue(a.version() == 3 || a.version() == 4, "version " + a.version());
      assertFalse(a.code().isEmpty());
      TorchObject root = a.root();
      assertTrue(root.qualifiedName().startsWith("__torch__."), root.qualifiedName());
      // the class of the root module has its source file: __torch__.a.b.C lives in code/__torch__/a/b.py
      String q = root.qualifiedName();
      String file = q.substring(0, q.lastIndexOf('.')).replace('.', '/') + ".py";
      assertTrue(a.code().containsKey(file), file + " not in " + a.code().keySet());
      assertTrue(a.code().get(file).contains("class " + q.substring(q.lastIndexOf('.') + 1) + "(Module)"));
      assertTrue(a.code().get(file).contains("def forward(self"));
      // every tensor reachable from the two pickles decodes, and every storage is referenced
      List<StoredTensor> tensors = new ArrayList<>();
      collect(root, tensors, new IdentityHashMap<>());
      collect(a.constants(), tensors, new IdentityHashMap<>());
      assertFalse(tensors.isEmpty());
      for (StoredTensor t : tensors) assertEquals(t.numel(), t.contiguousBytes().byteSize() / t.dtype().byteSize());
      // a per-channel qtensor's scales and zero points are tensors too, read into its Quant: two storages each
      long quantParams = 2 * tensors.stream().filter(t -> t.quant() != null && t.quant().perChannel()).count();
      assertEquals(a.storages().size(), tensors.stream().map(StoredTensor::storage).distinct().count() + quantParams);
      if (stem.equals("frozen")) {
        assertTrue(root.attributes().isEmpty(), "frozen modules keep no attributes");
        assertFalse(a.constants().isEmpty(), "frozen modules keep their weights in constants.pkl");
        assertEquals(1, a.code().size());
      }
    }));
  }

  @Test
  void mlpWeightsMatchTheGenerator() {
    for (String kind : List.of("scripted", "traced")) {
      TorchArchive a = TorchArchive.open(Fixtures.model("mlp", kind + ".pt"));
      TorchObject fc1 = (TorchObject) a.root().get("fc1");
      assertTrue(fc1.qualifiedName().matches("__torch__\\.torch\\.nn\\.modules\\.linear\\.(___torch_mangle_\\d+\\.)?Linear"),
          fc1.qualifiedName());
      StoredTensor w = (StoredTensor) fc1.get("weight");
      assertArrayEquals(new long[] {128, 64}, w.sizes());
      assertArrayEquals(new long[] {64, 1}, w.strides());
      assertEquals(DType.F32, w.dtype());
      assertTrue(w.requiresGrad());
      assertMatches("mlp", "fc1.weight", w);
      assertMatches("mlp", "fc1.bias", (StoredTensor) fc1.get("bias"));
      assertMatches("mlp", "fc2.weight", (StoredTensor) ((TorchObject) a.root().get("fc2")).get("weight"));
      assertMatches("mlp", "fc3.weight", (StoredTensor) ((TorchObject) a.root().get("fc3")).get("weight"));
      assertEquals(Boolean.FALSE, a.root().get("training"));
      assertTrue(a.constants().isEmpty());
    }
  }

  @Test
  void frozenMlpKeepsWeightsAsConstants() {
    TorchArchive a = TorchArchive.open(Fixtures.model("mlp", "frozen.pt"));
    String code = a.code().values().iterator().next();
    assertTrue(code.contains("torch.linear(") && code.contains("CONSTANTS.c0"), code);
    StoredTensor w = a.constants().stream().map(StoredTensor.class::cast)
        .filter(t -> t.sizes().length == 2 && t.sizes()[0] == 128).findFirst().orElseThrow();
    assertMatches("mlp", "fc1.weight", w);
    assertTrue(w.storage().entryName().startsWith("constants/"), w.storage().entryName());
  }

  @Test
  void cnnBatchNormStateAndConvWeights() {
    TorchArchive a = TorchArchive.open(Fixtures.model("cnn", "scripted.pt"));
    TorchObject bn1 = (TorchObject) a.root().get("bn1");
    assertMatches("cnn", "bn1.running_mean", (StoredTensor) bn1.get("running_mean"));
    assertMatches("cnn", "bn1.running_var", (StoredTensor) bn1.get("running_var"));
    StoredTensor tracked = (StoredTensor) bn1.get("num_batches_tracked");
    assertEquals(DType.I64, tracked.dtype());
    assertEquals(0, tracked.rank());
    assertArrayEquals(new long[] {8}, tracked.toLongArray(), "the generator ran 8 warm-up batches");
    assertFalse(bn1.has("eps"), "Final constants live in the class source, not in the pickle");
    assertTrue(a.codeFile("__torch__/torch/nn/modules/batchnorm.py").contains("eps : Final[float] = 1.0000000000000001e-05"));
    assertMatches("cnn", "conv1.weight", (StoredTensor) ((TorchObject) a.root().get("conv1")).get("weight"));
    String traced = String.join("\n", TorchArchive.open(Fixtures.model("cnn", "traced.pt")).code().values());
    assertTrue(traced.contains("torch._convolution("), "traced conv is the 13-argument _convolution");
  }

  @Test
  void lstmFlatWeightsShareStoragesWithTheParameters() {
    TorchArchive a = TorchArchive.open(Fixtures.model("lstm", "scripted.pt"));
    TorchObject lstm = (TorchObject) a.root().get("lstm");
    StoredTensor wih0 = (StoredTensor) lstm.get("weight_ih_l0");
    assertMatches("lstm", "lstm.weight_ih_l0", wih0);
    assertMatches("lstm", "lstm.weight_hh_l1", (StoredTensor) lstm.get("weight_hh_l1"));
    List<?> flat = (List<?>) lstm.get("_flat_weights");
    assertEquals(8, flat.size());
    assertSame(wih0.storage(), ((StoredTensor) flat.get(0)).storage(), "one storage record, one instance");
    assertEquals(List.of("weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0", "weight_ih_l1", "weight_hh_l1",
        "bias_ih_l1", "bias_hh_l1"), lstm.get("_flat_weights_names"));
    assertEquals(10, a.storages().size(), "8 LSTM tensors + the head's 2; _flat_weights adds none");
  }

  @Test
  void transformerFastPathIsOneCall() {
    String slow = String.join("\n", TorchArchive.open(Fixtures.model("transformer", "traced.pt")).code().values());
    String fast = String.join("\n",
        TorchArchive.open(Fixtures.model("transformer", "traced_fastpath.pt")).code().values());
    assertTrue(fast.contains("torch._transformer_encoder_layer_fwd("), fast);
    assertFalse(slow.contains("_transformer_encoder_layer_fwd"));
    assertTrue(slow.contains("torch.softmax(") && slow.contains("torch.layer_norm("));
    TorchObject root = TorchArchive.open(Fixtures.model("transformer", "scripted.pt")).root();
    StoredTensor inProj = (StoredTensor) ((TorchObject) root.get("self_attn")).get("in_proj_weight");
    assertMatches("transformer", "self_attn.in_proj_weight", inProj);
    assertMatches("transformer", "linear1.weight", (StoredTensor) ((TorchObject) root.get("linear1")).get("weight"));
  }

  @Test
  void controlFlowSurvivesScriptingNotTracing() {
    String scripted = String.join("\n", TorchArchive.open(Fixtures.model("controlflow", "scripted.pt")).code().values());
    String traced = String.join("\n", TorchArchive.open(Fixtures.model("controlflow", "traced.pt")).code().values());
    assertTrue(scripted.contains(" if ") || scripted.contains("\n    if "), scripted);
    assertTrue(scripted.contains("for "), scripted);
    assertFalse(traced.contains("if "), traced);
    TorchArchive t = TorchArchive.open(Fixtures.model("controlflow", "traced.pt"));
    // the trace unrolls the loop and keeps the (i+1) scalars as 0-dim double tensors in CONSTANTS
    assertTrue(t.constants().stream().anyMatch(c -> c instanceof StoredTensor s && s.dtype() == DType.F64
        && s.rank() == 0));
  }

  @Test
  void torchvisionModelsMatchTheirDumps() {
    assertMatches("mobilenet_v2", "features.0.0.weight", (StoredTensor) at(
        TorchArchive.open(Fixtures.model("mobilenet_v2", "scripted.pt")).root(), "features", "0", "0", "weight"));
    assertMatches("squeezenet1_1", "features.0.weight", (StoredTensor) at(
        TorchArchive.open(Fixtures.model("squeezenet1_1", "traced.pt")).root(), "features", "0", "weight"));
    TorchObject resnet = TorchArchive.open(Fixtures.model("resnet_small", "scripted.pt")).root();
    assertEquals("__torch__.torchvision.models.resnet.ResNet", resnet.qualifiedName());
    assertMatches("resnet_small", "conv1.weight", (StoredTensor) at(resnet, "conv1", "weight"));
    assertMatches("resnet_small", "fc.weight", (StoredTensor) at(resnet, "fc", "weight"));
    assertEquals(64L, resnet.get("base_width"));
  }

  @Test
  void dynamicQuantizedLinearKeepsTorchBindStateRaw() {
    TorchArchive a = TorchArchive.open(Fixtures.model("mlp_dynq", "scripted.pt"));
    TorchObject packed = (TorchObject) at(a.root(), "fc1", "_packed_params", "_packed_params");
    assertEquals("__torch__.torch.classes.quantized.LinearPackedParamsBase", packed.qualifiedName());
    assertTrue(packed.isTorchBind() && packed.hasRawState() && packed.attributes().isEmpty());
    PyTuple state = (PyTuple) packed.state(); // (qint8 weight, float bias)
    StoredTensor w = (StoredTensor) state.get(0);
    assertEquals(DType.QI8, w.dtype());
    assertArrayEquals(new long[] {128, 64}, w.sizes());
    assertFalse(w.quant().perChannel());
    double scale = w.quant().scales().get(0);
    assertTrue(scale > 0 && scale < 1, "scale " + scale);
    long[] raw = w.toLongArray();
    float[] real = w.toFloatArray();
    long zp = w.quant().zeroPoints().get(0);
    for (int i = 0; i < raw.length; i++) {
      assertTrue(raw[i] >= -128 && raw[i] <= 127);
      assertEquals(scale * (raw[i] - zp), real[i], 1e-6);
    }
    assertEquals(DType.F32, ((StoredTensor) state.get(1)).dtype());
  }

  @Test
  void toTensorCopiesValuesAndShape() {
    StoredTensor w = (StoredTensor) at(TorchArchive.open(Fixtures.model("mlp", "scripted.pt")).root(), "fc1", "weight");
    dev.kiln.runtime.Tensor t = w.toTensor();
    assertEquals(DType.F32, t.dtype());
    assertArrayEquals(new long[] {128, 64}, t.shape());
    assertArrayEquals(w.toFloatArray(), t.toFloatArray());
  }

  static Object at(TorchObject o, String... path) {
    Object cur = o;
    for (String p : path) {
      assertInstanceOf(TorchObject.class, cur, "at " + p);
      cur = ((TorchObject) cur).get(p);
    }
    return cur;
  }

  /** The tensor equals params/<name>.npy exactly: same shape, same float bits. */
  static void assertMatches(String model, String name, StoredTensor t) {
    Fixtures.Npy want = Fixtures.npy(Fixtures.model(model, "params/" + name + ".npy"));
    assertArrayEquals(want.shape(), t.sizes(), name + " shape");
    assertArrayEquals(want.values(), t.toDoubleArray(), 0.0, name + " values");
  }

  private static void collect(Object o, List<StoredTensor> out, Map<Object, Boolean> seen) {
    if (o == null || seen.put(o, true) != null) return;
    switch (o) {
      case StoredTensor t -> out.add(t);
      case TorchObject t -> {
        t.attributes().values().forEach(v -> collect(v, out, seen));
        collect(t.state(), out, seen);
      }
      case PyTuple t -> t.items().forEach(v -> collect(v, out, seen));
      case List<?> l -> l.forEach(v -> collect(v, out, seen));
      case Map<?, ?> m -> m.values().forEach(v -> collect(v, out, seen));
      default -> { }
    }
  }
}
