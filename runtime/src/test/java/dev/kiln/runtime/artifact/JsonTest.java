package dev.kiln.runtime.artifact;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class JsonTest {
  @Test
  void writeThenParseGivesTheSameValues() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("name", "fc \"1\"\n\\ \u0001 é");
    m.put("shape", List.of(3L, 4L));
    m.put("scale", 0.125);
    m.put("whole", 2.0);
    m.put("big", Long.MAX_VALUE);
    m.put("ok", true);
    m.put("none", null);
    m.put("nested", List.of(Map.of("a", 1L), List.of()));
    m.put("empty", Map.of());
    Object back = Json.parse(Json.write(m), "t.json");
    assertEquals(m, back);
    assertEquals(Double.class, ((Map<?, ?>) back).get("whole").getClass(), "2.0 stays a float");
  }

  @Test
  void parsesEscapesAndNumbers() {
    assertEquals("A\u00e9/\t", Json.parse("\"\\u0041\\u00e9\\/\\t\"", "t"));
    assertEquals(-12L, Json.parse(" -12 ", "t"));
    assertEquals(1.5e-3, Json.parse("1.5e-3", "t"));
    assertEquals(1e30, Json.parse("1000000000000000000000000000000", "t"), "too big for a long becomes a double");
  }

  @Test
  void errorsNameLineAndColumnAndWhatWasExpected() {
    assertMessage("{\n  \"a\": 1,\n}", "t.json:3:1: expected a string key");
    assertMessage("{\"a\": 1, \"a\": 2}", "t.json:1:10: duplicate key \"a\"");
    assertMessage("[1 2]", "t.json:1:4: expected ']', got '2'");
    assertMessage("012", "t.json:1:2: leading zero in a number");
    assertMessage("\"tab\there\"", "t.json:1:5: control character in a string");
    assertMessage("{} x", "t.json:1:4: expected end of input after the value");
    assertMessage("[1, // comment\n 2]", "t.json:1:5: expected a value, got '/'");
    assertMessage("tru", "t.json:1:1: expected true");
    assertMessage("\"abc", "t.json:1:5: unterminated string");
  }

  @Test
  void refusesDeepNesting() {
    String deep = "[".repeat(Json.MAX_DEPTH + 2) + "]".repeat(Json.MAX_DEPTH + 2);
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Json.parse(deep, "t"));
    assertTrue(e.getMessage().contains("nesting deeper than " + Json.MAX_DEPTH), e.getMessage());
  }

  private static void assertMessage(String text, String prefix) {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Json.parse(text, "t.json"));
    assertTrue(e.getMessage().startsWith(prefix), "got: " + e.getMessage());
  }
}
