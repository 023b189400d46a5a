package dev.kiln.samples.service;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.kiln.runtime.KilnRuntimeException;
import dev.kiln.runtime.Tensor;
import dev.kiln.runtime.artifact.Json;
import dev.kiln.runtime.exec.KilnModel;
import dev.kiln.runtime.exec.TensorSpec;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * Sample: a prediction service around one compiled model. It loads a {@code .kiln} artifact at start and answers
 *
 * <ul>
 *   <li>{@code POST /predict} with {@code {"inputs": {"x": {"shape": [2, 4], "data": [...]}}}}, giving
 *       {@code {"outputs": [{"name": "probs", "dtype": "f32", "shape": [2, 3], "data": [...]}]}};</li>
 *   <li>{@code GET /signature}, giving the inputs and outputs with their types.</li>
 * </ul>
 *
 * One {@link KilnModel} serves every request thread: it is thread-safe, with weights shared read-only. Bad requests
 * get status 400 and {@code {"error": "..."}} naming the input and what was expected. Run it with
 * {@code samples/run service.EmbedService model.kiln [port]} (see samples/embed-service/README.md).
 */
public final class EmbedService implements AutoCloseable {
  /** Requests larger than this are refused (413) before they are parsed. */
  static final int MAX_BODY_BYTES = 16 << 20;

  private final KilnModel model;
  private final HttpServer server;
  private final ExecutorService workers;

  private EmbedService(KilnModel model, HttpServer server, ExecutorService workers) {
    this.model = model;
    this.server = server;
    this.workers = workers;
  }

  /**
   * Loads the artifact and starts serving on {@code address} (port 0 picks a free one).
   *
   * @param threads request threads; all share the one model
   */
  public static EmbedService start(Path artifact, InetSocketAddress address, int threads) throws IOException {
    KilnModel model = KilnModel.load(artifact);
    HttpServer server = HttpServer.create(address, 0);
    ExecutorService workers = Executors.newFixedThreadPool(threads);
    EmbedService s = new EmbedService(model, server, workers);
    server.createContext("/predict", s::predict);
    server.createContext("/signature", s::signature);
    server.setExecutor(workers);
    server.start();
    return s;
  }

  /** The port actually bound. */
  public int port() { return server.getAddress().getPort(); }

  /** Stops accepting requests, waits up to a second for running ones, and stops the worker threads. */
  @Override public void close() {
    server.stop(1);
    workers.shutdownNow();
  }

  private void signature(HttpExchange ex) throws IOException {
    if (!ex.getRequestMethod().equals("GET")) { reply(ex, 405, error("use GET /signature")); return; }
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("backend", model.manifest().backend());
    out.put("inputs", model.signature().inputs().stream().map(TensorJson::spec).toList());
    out.put("outputs", model.signature().outputs().stream().map(TensorJson::spec).toList());
    reply(ex, 200, out);
  }

  private void predict(HttpExchange ex) throws IOException {
    if (!ex.getRequestMethod().equals("POST")) { reply(ex, 405, error("use POST /predict with a JSON body")); return; }
    byte[] body;
    try (InputStream in = ex.getRequestBody()) {
      body = in.readNBytes(MAX_BODY_BYTES + 1);
    }
    if (body.length > MAX_BODY_BYTES) { reply(ex, 413, error("request larger than " + MAX_BODY_BYTES + " bytes")); return; }
    try {
      Map<String, Tensor> inputs = inputs(Json.parse(new String(body, StandardCharsets.UTF_8), "request"));
      Map<String, Tensor> outputs = model.run(inputs);
      List<Object> list = outputs.entrySet().stream().map(e -> (Object) TensorJson.write(e.getKey(), e.getValue())).toList();
      reply(ex, 200, Map.of("outputs", list));
    } catch (IllegalArgumentException bad) { // malformed JSON, or inputs that do not fit the signature
      reply(ex, 400, error(bad.getMessage()));
    } catch (KilnRuntimeException failed) {
      reply(ex, 500, error(failed.getMessage()));
    }
  }

  private Map<String, Tensor> inputs(Object request) {
    if (!(request instanceof Map<?, ?> m) || !(m.get("inputs") instanceof Map<?, ?> given))
      throw new IllegalArgumentException("expected {\"inputs\": {\"<name>\": {\"shape\": [...], \"data\": [...]}}}");
    Map<String, Tensor> out = new LinkedHashMap<>();
    for (Map.Entry<?, ?> e : given.entrySet()) {
      String name = (String) e.getKey();
      TensorSpec spec = model.signature().inputs().stream().filter(s -> s.name().equals(name)).findFirst().orElse(null);
      // An unknown name is left for KilnModel.run to report together with the inputs the model takes.
      out.put(name, spec == null ? Tensor.fromFloats(new float[0], 0) : TensorJson.read(spec, e.getValue()));
    }
    return out;
  }

  private static Map<String, Object> error(String message) { return Map.of("error", message); }

  private static void reply(HttpExchange ex, int status, Object json) throws IOException {
    byte[] b = Json.write(json).getBytes(StandardCharsets.UTF_8);
    ex.getResponseHeaders().set("Content-Type", "application/json; charset=utf-8");
    ex.sendResponseHeaders(status, b.length);
    try (OutputStream os = ex.getResponseBody()) {
      os.write(b);
    }
  }

  /** {@code EmbedService MODEL.kiln [PORT]}: serves on the loopback interface (default port 8080) until stopped. */
  public static void main(String[] args) throws IOException {
    if (args.length < 1 || args.length > 2) {
      System.err.println("usage: EmbedService MODEL.kiln [PORT]");
      System.exit(1);
    }
    int port = args.length == 2 ? Integer.parseInt(args[1]) : 8080;
    EmbedService s = start(Path.of(args[0]), new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 4);
    System.out.println("serving " + args[0] + " " + s.model.signature() + " on http://127.0.0.1:" + s.port() + " (POST /predict, GET /signature)");
    Runtime.getRuntime().addShutdownHook(new Thread(s::close));
  }
}
