#define G_LOG_DOMAIN "cmdb-test"

/* Rendering values as override tokens: floats in Python's repr, the two
 * string styles, the round-trip quoting rule, lists and dicts, keys, and
 * the original builder's quirks fixed. Every rendered value is also read
 * back with the override reader. */

#include "test-util.h"
#include "cmdbuilder.h"

#include <math.h>
#include <string.h>

static JsonNode *
string_node (const char *text)
{
  JsonNode *node = json_node_new (JSON_NODE_VALUE);

  json_node_set_string (node, text);
  return node;
}

/* Parses a JSON literal (test shorthand for list and dict values). */
static JsonNode *
json_node (const char *json)
{
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autoptr (GError) error = NULL;

  if (!json_parser_load_from_data (parser, json, -1, &error))
    fail_msg ("bad JSON in test: %s", error->message);
  return json_node_copy (json_parser_get_root (parser));
}

static char *
format_ok (const char *key, JsonNode *value, CmdbHydraValueStyle style)
{
  g_autoptr (GError) error = NULL;
  char *token = cmdb_hydra_format_override (key, value, style, &error);

  if (token == NULL)
    fail_msg ("formatting %s failed: %s", key, error->message);
  return token;
}

/* Reads @token back and checks the value equals @expected (as JSON text). */
static void
assert_reads_back (const char *token, JsonNode *expected)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (CmdbHydraOverride) override = cmdb_hydra_override_parse (token, &error);
  g_autofree char *want = NULL;
  g_autofree char *got = NULL;

  if (override == NULL)
    fail_msg ("Hydra would not read '%s': %s", token, error->message);
  want = json_to_string (expected, FALSE);
  got = json_to_string (override->value, FALSE);
  if (strcmp (want, got) != 0 || !json_node_equal (expected, override->value))
    fail_msg ("'%s' reads back as %s, expected %s", token, got, want);
}

static void
assert_string_token (const char *value, CmdbHydraValueStyle style, const char *expected_token)
{
  g_autoptr (JsonNode) node = string_node (value);
  g_autofree char *token = format_ok ("k", node, style);

  if (strcmp (token, expected_token) != 0)
    fail_msg ("'%s' rendered as %s, expected %s", value, token, expected_token);
}

/* ------------------------------------------------------------------------ */

static void
test_float_table (void **state)
{
  static const struct
  {
    double value;
    const char *text;
  } cases[] = {
    { 1e-05, "1e-05" },
    { 5e-06, "5e-06" },
    { 0.0001, "0.0001" },
    { 0.001, "0.001" },
    { 5.0, "5.0" },
    { 0.0, "0.0" },
    { -0.0, "-0.0" },
    { 1e16, "1e+16" },
    { 1e15, "1000000000000000.0" },
    { 123456789012345.0, "123456789012345.0" },
    { 9999999999999998.0, "9999999999999998.0" },
    { -2.5, "-2.5" },
    { -1e-07, "-1e-07" },
    { 0.1 + 0.2, "0.30000000000000004" },
    { 1.5e300, "1.5e+300" },
    { 5e-324, "5e-324" },
    { 1.7976931348623157e308, "1.7976931348623157e+308" },
    { 0.00011, "0.00011" },
    { 100000.0, "100000.0" },
    { 2.5e-05, "2.5e-05" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *text = cmdb_hydra_format_float (cases[i].value);
      g_autofree char *token = g_strconcat ("k=", text, NULL);
      g_autoptr (CmdbHydraOverride) override = NULL;

      if (strcmp (text, cases[i].text) != 0)
        fail_msg ("%.17g rendered as %s, Python's repr is %s", cases[i].value, text, cases[i].text);
      /* Hydra reads each back as a float with the very same value. */
      override = cmdb_hydra_override_parse (token, NULL);
      assert_non_null (override);
      assert_int_equal (override->value_type, CMDB_HYDRA_VALUE_FLOAT);
      assert_true (json_node_get_double (override->value) == cases[i].value);
      assert_int_equal (signbit (json_node_get_double (override->value)), signbit (cases[i].value));
    }
}

static void
test_float_special (void **state)
{
  g_autofree char *inf = cmdb_hydra_format_float (INFINITY);
  g_autofree char *minus_inf = cmdb_hydra_format_float (-INFINITY);
  g_autofree char *nan = cmdb_hydra_format_float (NAN);
  g_autoptr (CmdbHydraOverride) override = cmdb_hydra_override_parse ("k=nan", NULL);

  assert_string_equal (inf, "inf");
  assert_string_equal (minus_inf, "-inf");
  assert_string_equal (nan, "nan");
  assert_int_equal (override->value_type, CMDB_HYDRA_VALUE_FLOAT);
  assert_true (isnan (json_node_get_double (override->value)));
}

static void
test_scalars (void **state)
{
  static const struct
  {
    const char *json;
    const char *token;
  } cases[] = {
    { "42", "k=42" },
    { "-3", "k=-3" },
    { "0", "k=0" },
    { "0.0", "k=0.0" },
    { "0.001", "k=0.001" },
    { "1e-05", "k=1e-05" },
    { "5.0", "k=5.0" },
    { "true", "k=true" },
    { "false", "k=false" },
    { "null", "k=null" },
    { "9223372036854775807", "k=9223372036854775807" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    for (int style = CMDB_HYDRA_STYLE_BARE; style <= CMDB_HYDRA_STYLE_TEXT; style++)
      {
        g_autoptr (JsonNode) node = json_node (cases[i].json);
        g_autofree char *token = format_ok ("k", node, style);

        assert_string_equal (token, cases[i].token);
        assert_reads_back (token, node);
      }
}

/* Values picked from lists keep the original's bare output. */
static void
test_bare_style (void **state)
{
  static const struct
  {
    const char *value;
    const char *token;
  } cases[] = {
    { "ocr_training-dbnet-unet-resnet18", "k=ocr_training-dbnet-unet-resnet18" },
    { "bf16-mixed", "k=bf16-mixed" },
    { "32", "k=32" }, /* reaches the program as the int 32, as intended */
    { "outputs/exp1/checkpoints/best.ckpt", "k=outputs/exp1/checkpoints/best.ckpt" },
    { "a:b", "k=\"a:b\"" }, /* the original quoted ':'; we keep its output */
    { "$HOME", "k=$HOME" },
    { "50%", "k=50%" },
    { "a@b", "k=a@b" },
    { "a b", "k=\"a b\"" },
    { "x,y", "k=\"x,y\"" },
    { "a|b", "k=\"a|b\"" },
    { "é", "k=\"é\"" },
    { "", "k=\"\"" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    assert_string_token (cases[i].value, CMDB_HYDRA_STYLE_BARE, cases[i].token);
}

/* Free text stays a string: bare only when it reads back as itself. */
static void
test_text_style_constants (void **state)
{
  static const char *const quoted[]
      = { "123",  "-3",   "+1",   "1_000", "1e5",   "1e-05", "5.",   ".5",  "3.14",
          "null", "NULL", "true", "True",  "FALSE", "inf",   "-inf", "nan", "NaN" };
  static const char *const bare[]
      = { "ocr_training", "v1.0",  "0x10", "01",       "1__0",  "none", "yes",
          "1e",           "1.2.3", "-",    "infinity", "nullx", "$x",   "/tmp/out" };

  for (guint i = 0; i < G_N_ELEMENTS (quoted); i++)
    {
      g_autofree char *expected = g_strdup_printf ("k=\"%s\"", quoted[i]);
      g_autoptr (JsonNode) node = string_node (quoted[i]);

      assert_string_token (quoted[i], CMDB_HYDRA_STYLE_TEXT, expected);
      assert_reads_back (expected, node);
    }
  for (guint i = 0; i < G_N_ELEMENTS (bare); i++)
    {
      g_autofree char *expected = g_strdup_printf ("k=%s", bare[i]);
      g_autoptr (JsonNode) node = string_node (bare[i]);

      assert_string_token (bare[i], CMDB_HYDRA_STYLE_TEXT, expected);
      assert_reads_back (expected, node);
    }
}

/* The round-trip rule on the characters that need it. */
static void
test_quoting_rule (void **state)
{
  static const struct
  {
    const char *value;
    const char *token;
  } cases[] = {
    { "hello world", "k=\"hello world\"" },
    { "a,b", "k=\"a,b\"" },
    { "a=b", "k=\"a=b\"" },
    { "say \"hi\"", "k=\"say \\\"hi\\\"\"" },
    { "it's", "k=\"it's\"" },
    { "C:\\dir", "k=\"C:\\dir\"" },
    { "C:\\dir\\", "k=\"C:\\dir\\\\\"" },   /* trailing run doubled (Hydra #1600) */
    { "a\\\"b", "k=\"a\\\\\\\"b\"" },       /* \" : 1 backslash -> 2, then \" */
    { "a\\\\\"b", "k=\"a\\\\\\\\\\\"b\"" }, /* \\" : 2 -> 4, then \" */
    { "\\\\", "k=\"\\\\\\\\\"" },           /* only backslashes: doubled */
    { "a\\b", "k=\"a\\b\"" },               /* mid-string run: literal */
    { "line1\nline2", "k=\"line1\nline2\"" },
    { "tab\there", "k=\"tab\there\"" },
    { "中文", "k=\"中文\"" },
    { "[1, 2]", "k=\"[1, 2]\"" },
    { "(x)", "k=\"(x)\"" },
    { "  padded  ", "k=\"  padded  \"" },
    { "a#b!c;d&e", "k=\"a#b!c;d&e\"" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    for (int style = CMDB_HYDRA_STYLE_BARE; style <= CMDB_HYDRA_STYLE_TEXT; style++)
      {
        g_autoptr (JsonNode) node = string_node (cases[i].value);

        assert_string_token (cases[i].value, style, cases[i].token);
        assert_reads_back (cases[i].token, node);
      }
}

static void
test_quote_string (void **state)
{
  g_autofree char *plain = cmdb_hydra_quote_string ("abc");
  g_autofree char *empty = cmdb_hydra_quote_string ("");
  g_autofree char *quote = cmdb_hydra_quote_string ("\"");
  g_autofree char *backslash = cmdb_hydra_quote_string ("\\");

  assert_string_equal (plain, "\"abc\"");
  assert_string_equal (empty, "\"\"");
  assert_string_equal (quote, "\"\\\"\"");
  assert_string_equal (backslash, "\"\\\\\"");
}

/* Interpolations pass through (OmegaConf resolves them, also in quotes);
 * the rest of the value is quoted by the rule. */
static void
test_interpolations (void **state)
{
  static const struct
  {
    const char *value;
    const char *token;
  } cases[] = {
    { "${now:%Y-%m-%d}", "k=\"${now:%Y-%m-%d}\"" },
    { "${enhanced_transforms.train_transform}", "k=\"${enhanced_transforms.train_transform}\"" },
    { "run_${x}", "k=\"run_${x}\"" },
    { "my run ${oc.env:USER,me}", "k=\"my run ${oc.env:USER,me}\"" },
    { "${a}\"${b}", "k=\"${a}\\\"${b}\"" },
    { "$x", "k=$x" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr (JsonNode) node = string_node (cases[i].value);

      assert_string_token (cases[i].value, CMDB_HYDRA_STYLE_TEXT, cases[i].token);
      assert_reads_back (cases[i].token, node);
    }
}

static void
test_escape_interpolations (void **state)
{
  static const struct
  {
    const char *value;
    const char *escaped;
  } cases[] = {
    { "${x}", "\\${x}" },   { "a\\${x}", "a\\\\\\${x}" },   { "a\\b", "a\\b" },
    { "$x {y}", "$x {y}" }, { "${a}${b}", "\\${a}\\${b}" }, { "end\\", "end\\" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *escaped = cmdb_hydra_escape_interpolations (cases[i].value);

      assert_string_equal (escaped, cases[i].escaped);
    }
}

static void
test_lists (void **state)
{
  static const struct
  {
    const char *json;
    CmdbHydraValueStyle style;
    const char *token;
  } cases[] = {
    { "[\"a\",\"b\"]", CMDB_HYDRA_STYLE_BARE, "k=[a,b]" },
    { "[\"a b\",\"c\"]", CMDB_HYDRA_STYLE_BARE, "k=[\"a b\",c]" },
    { "[\"x,y\",\"]\"]", CMDB_HYDRA_STYLE_BARE, "k=[\"x,y\",\"]\"]" },
    { "[1,2.5,true,null]", CMDB_HYDRA_STYLE_BARE, "k=[1,2.5,true,null]" },
    { "[\"123\",\"abc\"]", CMDB_HYDRA_STYLE_TEXT, "k=[\"123\",abc]" },
    { "[\"\",\"a\"]", CMDB_HYDRA_STYLE_TEXT, "k=[\"\",a]" },
    { "[[1,2],[\"a\"]]", CMDB_HYDRA_STYLE_BARE, "k=[[1,2],[a]]" },
    { "[]", CMDB_HYDRA_STYLE_BARE, "k=[]" },
    { "{\"lr\":0.001,\"name\":\"adam w\"}", CMDB_HYDRA_STYLE_BARE, "k={lr:0.001,name:\"adam w\"}" },
    { "{}", CMDB_HYDRA_STYLE_BARE, "k={}" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr (JsonNode) node = json_node (cases[i].json);
      g_autofree char *token = format_ok ("k", node, cases[i].style);

      if (strcmp (token, cases[i].token) != 0)
        fail_msg ("%s rendered as %s, expected %s", cases[i].json, token, cases[i].token);
      assert_reads_back (token, node);
    }
}

/* Tokens of the original that were right stay byte for byte. */
static void
test_original_outputs_kept (void **state)
{
  static const struct
  {
    const char *key;
    const char *value;
    CmdbHydraValueStyle style;
    const char *shell;
  } cases[] = {
    { "exp_name", "ocr_training-dbnet-unet-resnet18", CMDB_HYDRA_STYLE_TEXT,
      "exp_name=ocr_training-dbnet-unet-resnet18" },
    { "trainer.precision", "32", CMDB_HYDRA_STYLE_BARE, "trainer.precision=32" },
    { "+preset/datasets", "preprocessing", CMDB_HYDRA_STYLE_BARE,
      "+preset/datasets=preprocessing" },
    { "model/architectures", "dbnet", CMDB_HYDRA_STYLE_BARE, "model/architectures=dbnet" },
    { "resume", "outputs/x/checkpoints/epoch=1-step=2.ckpt", CMDB_HYDRA_STYLE_TEXT,
      "'resume=\"outputs/x/checkpoints/epoch=1-step=2.ckpt\"'" },
    { "transforms.train_transform", "${enhanced_transforms.train_transform}", CMDB_HYDRA_STYLE_TEXT,
      "'transforms.train_transform=\"${enhanced_transforms.train_transform}\"'" },
    { "data.path", "/path with spaces", CMDB_HYDRA_STYLE_TEXT,
      "'data.path=\"/path with spaces\"'" },
    { "a", "${x.y}", CMDB_HYDRA_STYLE_TEXT, "'a=\"${x.y}\"'" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr (JsonNode) node = string_node (cases[i].value);
      g_autofree char *token = format_ok (cases[i].key, node, cases[i].style);
      g_autofree char *shell = cmdb_shell_quote (token);

      assert_string_equal (shell, cases[i].shell);
    }
}

/* §4.3: `a=it's` became `'a="it's"'` (broken shell text). */
static void
test_quirk_embedded_single_quote (void **state)
{
  g_autoptr (JsonNode) node = string_node ("it's");
  g_autofree char *token = format_ok ("a", node, CMDB_HYDRA_STYLE_TEXT);
  g_autofree char *shell = cmdb_shell_quote (token);
  g_auto (GStrv) argv = NULL;

  assert_string_equal (token, "a=\"it's\"");
  assert_string_equal (shell, "'a=\"it'\\''s\"'");
  assert_true (cmdb_shell_split (shell, &argv, NULL));
  assert_int_equal (g_strv_length (argv), 1);
  assert_string_equal (argv[0], token);
  assert_reads_back (argv[0], node);
}

/* §4.6: the suffix was appended to the already quoted value, nesting quotes:
 * `'exp_name="\"my run\"-dbnet-unet-resnet18"'`. The suffix goes on the plain
 * value, then the value is quoted once. */
static void
test_quirk_suffix_nested_quotes (void **state)
{
  g_autofree char *name = g_strjoin ("-", "my run", "dbnet", "unet", "resnet18", NULL);
  g_autoptr (JsonNode) node = string_node (name);
  g_autofree char *token = format_ok ("exp_name", node, CMDB_HYDRA_STYLE_TEXT);
  g_autofree char *shell = cmdb_shell_quote (token);

  assert_string_equal (shell, "'exp_name=\"my run-dbnet-unet-resnet18\"'");
  assert_reads_back (token, node);
}

static void
test_deletion (void **state)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *alone
      = cmdb_hydra_format_override ("~trainer.callbacks", NULL, CMDB_HYDRA_STYLE_BARE, &error);
  g_autofree char *missing = NULL;

  assert_string_equal (alone, "~trainer.callbacks");
  missing = cmdb_hydra_format_override ("trainer.callbacks", NULL, CMDB_HYDRA_STYLE_BARE, &error);
  assert_null (missing);
  assert_true (g_error_matches (error, CMDB_HYDRA_ERROR, CMDB_HYDRA_ERROR_VALUE));
  assert_string_equal (error->message, "the override 'trainer.callbacks' needs a value "
                                       "(only a ~key deletion has none)");
}

static void
test_good_keys (void **state)
{
  static const char *const keys[] = { "k",
                                      "trainer.max_epochs",
                                      "foo.0",
                                      "foo.1_0",
                                      "a-b",
                                      "a.b-c",
                                      "$a",
                                      "_a",
                                      "model/architectures",
                                      "+preset/datasets",
                                      "++trainer.precision",
                                      "~logger",
                                      "db@pkg",
                                      "db@",
                                      "group/sub@pkg.sub",
                                      "hydra/launcher" };

  for (guint i = 0; i < G_N_ELEMENTS (keys); i++)
    {
      g_autoptr (GError) error = NULL;

      if (!cmdb_hydra_check_key (keys[i], &error))
        fail_msg ("'%s' refused: %s", keys[i], error->message);
    }
}

/* One test per refused key; each asserts the exact message. */
typedef struct
{
  const char *key;
} BadKey;

static void
test_bad_key (void **state)
{
  const BadKey *bad = *state;
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonNode) node = string_node ("x");
  g_autofree char *token
      = cmdb_hydra_format_override (bad->key, node, CMDB_HYDRA_STYLE_TEXT, &error);
  g_autofree char *expected = g_strdup_printf (
      "invalid override key '%s': a key is a dotted path of names ([A-Za-z_$][A-Za-z0-9_$-]*) "
      "or unsigned integers, or a config group (name/name), optionally after +, ++ or ~ and "
      "before @package; keys cannot be quoted",
      bad->key);

  assert_null (token);
  assert_true (g_error_matches (error, CMDB_HYDRA_ERROR, CMDB_HYDRA_ERROR_KEY));
  assert_string_equal (error->message, expected);
}

static const BadKey bad_space = { "a b" };
static const BadKey bad_digit_start = { "1a" };
static const BadKey bad_double_dot = { "a..b" };
static const BadKey bad_leading_dot = { ".a" };
static const BadKey bad_trailing_dot = { "a." };
static const BadKey bad_leading_zero = { "foo.01" };
static const BadKey bad_colon = { "a:b" };
static const BadKey bad_non_ascii = { "é" };
static const BadKey bad_empty = { "" };
static const BadKey bad_equal = { "a=b" };
static const BadKey bad_triple_plus = { "+++a" };
static const BadKey bad_quoted = { "\"a\"" };
static const BadKey bad_group_dot = { "a/b.c" };
static const BadKey bad_package_only = { "@pkg" };
static const BadKey bad_blank_around = { " a" };

static void
test_bad_dict_key (void **state)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonNode) node = json_node ("{\"a b\": 1}");
  g_autofree char *token = cmdb_hydra_format_override ("k", node, CMDB_HYDRA_STYLE_BARE, &error);

  assert_null (token);
  assert_true (g_error_matches (error, CMDB_HYDRA_ERROR, CMDB_HYDRA_ERROR_VALUE));
  assert_string_equal (error->message,
                       "override 'k': the dict key 'a b' cannot be written in a Hydra override "
                       "(dict keys cannot be quoted: use [A-Za-z_][A-Za-z0-9_-]*)");
}

static void
test_bad_dict_key_constant (void **state)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonNode) node = json_node ("{\"true\": 1}");
  g_autofree char *token = cmdb_hydra_format_override ("k", node, CMDB_HYDRA_STYLE_BARE, &error);

  assert_null (token);
  assert_string_equal (error->message,
                       "override 'k': the dict key 'true' cannot be written in a Hydra override "
                       "(dict keys cannot be quoted: use [A-Za-z_][A-Za-z0-9_-]*)");
}

/* Reader errors name the token and the column. */
static void
test_parse_error_messages (void **state)
{
  static const struct
  {
    const char *token;
    const char *message;
  } cases[] = {
    { "k=é", "cannot read override 'k=é': the character 'é' at column 3 is not allowed in an "
             "unquoted value" },
    { "k=\"abc", "cannot read override 'k=\"abc': the quote at column 3 is never closed" },
    { "a=\"x\" ", "cannot read override 'a=\"x\" ': unexpected ' ' at column 6, expected the end "
                  "of the override" },
    { "k=a=b", "cannot read override 'k=a=b': unexpected '=' at column 4, expected the end of "
               "the override" },
    { "a", "cannot read override 'a': unexpected end of the override at column 2, expected '=' "
           "after the key" },
    { "k=unknownfn(1)", "cannot read override 'k=unknownfn(1)': unknown function 'unknownfn' at "
                        "column 3" },
    { "k=int(abc)", "cannot read override 'k=int(abc)': int() at column 3: cannot convert 'abc' "
                    "to int" },
    { "k=[1,2", "cannot read override 'k=[1,2': unexpected end of the override at column 7, "
                "expected ',' or ']'" },
    { "k=a\nb", "cannot read override 'k=a\nb': the control character U+000A at column 4 is not "
                "allowed in an unquoted value" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr (GError) error = NULL;
      g_autoptr (CmdbHydraOverride) override = cmdb_hydra_override_parse (cases[i].token, &error);

      assert_null (override);
      assert_true (g_error_matches (error, CMDB_HYDRA_ERROR, CMDB_HYDRA_ERROR_PARSE));
      assert_string_equal (error->message, cases[i].message);
    }
}

/* Functions and sweeps beyond the vectors. */
static void
test_functions (void **state)
{
  static const struct
  {
    const char *token;
    CmdbHydraValueType type;
    CmdbHydraSweepKind sweep;
    const char *json;
  } cases[] = {
    { "k=range(1,5)", CMDB_HYDRA_VALUE_SWEEP, CMDB_HYDRA_SWEEP_RANGE, "[1,2,3,4]" },
    { "k=range(0,1,step=0.25)", CMDB_HYDRA_VALUE_SWEEP, CMDB_HYDRA_SWEEP_RANGE,
      "[0.0,0.25,0.5,0.75]" },
    { "k=range(5,1,-2)", CMDB_HYDRA_VALUE_SWEEP, CMDB_HYDRA_SWEEP_RANGE, "[5,3]" },
    { "k=interval(0,1)", CMDB_HYDRA_VALUE_SWEEP, CMDB_HYDRA_SWEEP_INTERVAL, "[0.0,1.0]" },
    { "k=glob(*,exclude=[a,b])", CMDB_HYDRA_VALUE_SWEEP, CMDB_HYDRA_SWEEP_GLOB,
      "{\"include\":[\"*\"],\"exclude\":[\"a\",\"b\"]}" },
    { "k=sort(3,1,2)", CMDB_HYDRA_VALUE_SWEEP, CMDB_HYDRA_SWEEP_CHOICE, "[1,2,3]" },
    { "k=sort([b,a,c],reverse=true)", CMDB_HYDRA_VALUE_LIST, CMDB_HYDRA_SWEEP_NONE,
      "[\"c\",\"b\",\"a\"]" },
    { "k=shuffle(a,b)", CMDB_HYDRA_VALUE_SWEEP, CMDB_HYDRA_SWEEP_CHOICE, "[\"a\",\"b\"]" },
    { "k=tag(fast,choice(1,2))", CMDB_HYDRA_VALUE_SWEEP, CMDB_HYDRA_SWEEP_CHOICE, "[1,2]" },
    { "k=int(1.9,2.5)", CMDB_HYDRA_VALUE_SWEEP, CMDB_HYDRA_SWEEP_CHOICE, "[1,2]" },
    { "k=float(3)", CMDB_HYDRA_VALUE_FLOAT, CMDB_HYDRA_SWEEP_NONE, "3.0" },
    { "k=str(1e-05)", CMDB_HYDRA_VALUE_STRING, CMDB_HYDRA_SWEEP_NONE, "\"1e-05\"" },
    { "k=str(true)", CMDB_HYDRA_VALUE_STRING, CMDB_HYDRA_SWEEP_NONE, "\"true\"" },
    { "k=bool(0)", CMDB_HYDRA_VALUE_BOOL, CMDB_HYDRA_SWEEP_NONE, "false" },
    { "k=int([1.5,\"2\"])", CMDB_HYDRA_VALUE_LIST, CMDB_HYDRA_SWEEP_NONE, "[1,2]" },
    { "k={a: 1, b: [x, y]}", CMDB_HYDRA_VALUE_DICT, CMDB_HYDRA_SWEEP_NONE,
      "{\"a\":1,\"b\":[\"x\",\"y\"]}" },
    { "k=1 , 2", CMDB_HYDRA_VALUE_SWEEP, CMDB_HYDRA_SWEEP_CHOICE, "[1,2]" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr (GError) error = NULL;
      g_autoptr (CmdbHydraOverride) override = cmdb_hydra_override_parse (cases[i].token, &error);
      g_autoptr (JsonNode) expected = json_node (cases[i].json);

      if (override == NULL)
        fail_msg ("%s: %s", cases[i].token, error->message);
      assert_int_equal (override->value_type, cases[i].type);
      assert_int_equal (override->sweep_kind, cases[i].sweep);
      if (!json_node_equal (override->value, expected))
        {
          g_autofree char *got = json_to_string (override->value, FALSE);

          fail_msg ("%s gave %s, expected %s", cases[i].token, got, cases[i].json);
        }
    }
}

static void
test_override_copy (void **state)
{
  g_autoptr (CmdbHydraOverride) override = cmdb_hydra_override_parse ("++db@pkg='x y'", NULL);
  g_autoptr (CmdbHydraOverride) copy = cmdb_hydra_override_copy (override);

  assert_int_equal (copy->type, CMDB_HYDRA_OVERRIDE_FORCE_ADD);
  assert_string_equal (copy->key, "db");
  assert_string_equal (copy->package, "pkg");
  assert_true (copy->value_quoted);
  assert_true (copy->has_value);
  assert_string_equal (json_node_get_string (copy->value), "x y");
  assert_null (cmdb_hydra_override_copy (NULL));
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test (test_float_table),
    cmocka_unit_test (test_float_special),
    cmocka_unit_test (test_scalars),
    cmocka_unit_test (test_bare_style),
    cmocka_unit_test (test_text_style_constants),
    cmocka_unit_test (test_quoting_rule),
    cmocka_unit_test (test_quote_string),
    cmocka_unit_test (test_interpolations),
    cmocka_unit_test (test_escape_interpolations),
    cmocka_unit_test (test_lists),
    cmocka_unit_test (test_original_outputs_kept),
    cmocka_unit_test (test_quirk_embedded_single_quote),
    cmocka_unit_test (test_quirk_suffix_nested_quotes),
    cmocka_unit_test (test_deletion),
    cmocka_unit_test (test_good_keys),
    cmocka_unit_test_prestate (test_bad_key, (void *) &bad_space),
    cmocka_unit_test_prestate (test_bad_key, (void *) &bad_digit_start),
    cmocka_unit_test_prestate (test_bad_key, (void *) &bad_double_dot),
    cmocka_unit_test_prestate (test_bad_key, (void *) &bad_leading_dot),
    cmocka_unit_test_prestate (test_bad_key, (void *) &bad_trailing_dot),
    cmocka_unit_test_prestate (test_bad_key, (void *) &bad_leading_zero),
    cmocka_unit_test_prestate (test_bad_key, (void *) &bad_colon),
    cmocka_unit_test_prestate (test_bad_key, (void *) &bad_non_ascii),
    cmocka_unit_test_prestate (test_bad_key, (void *) &bad_empty),
    cmocka_unit_test_prestate (test_bad_key, (void *) &bad_equal),
    cmocka_unit_test_prestate (test_bad_key, (void *) &bad_triple_plus),
    cmocka_unit_test_prestate (test_bad_key, (void *) &bad_quoted),
    cmocka_unit_test_prestate (test_bad_key, (void *) &bad_group_dot),
    cmocka_unit_test_prestate (test_bad_key, (void *) &bad_package_only),
    cmocka_unit_test_prestate (test_bad_key, (void *) &bad_blank_around),
    cmocka_unit_test (test_bad_dict_key),
    cmocka_unit_test (test_bad_dict_key_constant),
    cmocka_unit_test (test_parse_error_messages),
    cmocka_unit_test (test_functions),
    cmocka_unit_test (test_override_copy),
  };

  return cmocka_run_group_tests_name ("hydra-render", tests, NULL, NULL);
}
