package dev.kiln.samples.service;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.ir.Graph;
import dev.kiln.ir.Node;
import dev.kiln.ir.text.IrParser;
import dev.kiln.runtime.Npy;
import dev.kiln.runtime.Tensor;
import dev.kiln.runtime.artifact.ArtifactWriter;
import dev.kiln.runtime.artifact.Json;
import dev.kiln.runtime.interp.Interpreter;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** Starts the service on a free loopback port with the sample MLP compiled to an artifact and calls it over HTTP. */
@Timeout(60)
class EmbedServiceTest {
  private static final Path SAMPLE = Path.of("ir").toAbsolutePath();

  @TempDir Path dir;
  Graph graph;
  Map<String, Tensor> weights = new HashMap<>();
  EmbedService service;
  HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  @BeforeEach
  void start() throws IOException {
    graph = IrParser.parse(Files.readString(SAMPLE.resolve("mlp.kir")), "mlp.kir");
    for (Node n : graph.allNodes())
      if (n.op().name().equals("const") && !n.attrIsNone("name"))
        weights.put(n.attrStr("name"), Npy.read(SAMPLE.resolve("mlp.weights/" + n.attrStr("name") + ".npy")));
    Path artifact = dir.resolve("mlp.kiln");
    ArtifactWriter.write(artifact, graph, weights, "interp", "", null, Map.of());
    service = EmbedService.start(artifact, new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 2);
  }

  @AfterEach
  void stop() {
    service.close();
    http.close();
  }

  @Test
  void predictAnswersAsTheInterpreter() throws Exception {
    Tensor x = Npy.read(SAMPLE.resolve("mlp.input.npy"));
    List<Object> data = new java.util.ArrayList<>();
    for (float f : x.toFloatArray()) data.add((double) f);
    String body = Json.write(Map.of("inputs", Map.of("x", Map.of("shape", List.of(x.shape()[0], x.shape()[1]), "data", data))));
    HttpResponse<String> r = post(body);
    assertEquals(200, r.statusCode(), r.body());
    Map<?, ?> answer = (Map<?, ?>) Json.parse(r.body(), "answer");
    Map<?, ?> out = (Map<?, ?>) ((List<?>) answer.get("outputs")).getFirst();
    assertEquals("probs", out.get("name"));
    assertEquals(List.of(2L, 3L), out.get("shape"));
    float[] want = ((Tensor) new Interpreter(graph, weights).run(List.of(x)).getFirst()).toFloatArray();
    List<?> got = (List<?>) out.get("data");
    assertEquals(want.length, got.size());
    for (int i = 0; i < want.length; i++) assertEquals(want[i], ((Number) got.get(i)).floatValue(), 0f, "element " + i);
  }

  @Test
  void signatureAndBadRequestsAreDescribed() throws Exception {
    HttpResponse<String> r = http.send(HttpRequest.newBuilder(uri("/signature")).timeout(Duration.ofSeconds(10)).GET().build(),
        HttpResponse.BodyHandlers.ofString());
    assertEquals(200, r.statusCode());
    assertEquals(Map.of("backend", "interp", "inputs", List.of(Map.of("name", "x", "type", "f32[N,4]")),
        "outputs", List.of(Map.of("name", "probs", "type", "f32[N,3]"))), Json.parse(r.body(), "signature"));

    r = post("{\"inputs\": {\"x\": {\"shape\": [1, 3], \"data\": [1, 2, 3]}}}");
    assertEquals(400, r.statusCode());
    assertEquals(Map.of("error", "input \"x\": expected f32[N,4], got f32[1,3] (dim 1 is 3, expected 4)"), Json.parse(r.body(), "e"));
    r = post("{\"inputs\": {}}");
    assertEquals(Map.of("error", "missing input \"x\" (f32[N,4]); the model takes (x: f32[N,4])"), Json.parse(r.body(), "e"));
    r = post("{\"inputs\": ");
    assertEquals(400, r.statusCode());
    assertTrue(r.body().contains("request:1:12: expected a value"), r.body());
  }

  private HttpResponse<String> post(String body) throws Exception {
    HttpRequest req = HttpRequest.newBuilder(uri("/predict")).timeout(Duration.ofSeconds(10))
        .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build();
    return http.send(req, HttpResponse.BodyHandlers.ofString());
  }

  private URI uri(String path) { return URI.create("http://127.0.0.1:" + service.port() + path); }
}
