#define G_LOG_DOMAIN "cmdb-test"

/* Every way a YAML file can be refused, each with its own fixture in
 * tests/yaml/fixtures/ (or inline text when the bytes matter), asserting
 * the exact error code and message. */

#include "test-util.h"
#include "cmdbuilder.h"

#include <sys/stat.h>
#include <unistd.h>

typedef struct
{
  const char *fixture;
  CmdbYamlError code;
  const char *message; /* after "<path>:" */
} FixtureCase;

static const FixtureCase fixture_cases[] = {
  { "syntax-error.yaml", CMDB_YAML_ERROR_SYNTAX,
    "4:5: did not find expected ',' or ']' (while parsing a flow sequence at line 3, column 11)" },
  { "unterminated-quote.yaml", CMDB_YAML_ERROR_SYNTAX,
    "2:1: found unexpected end of stream (while scanning a quoted scalar at line 1, column 8)" },
  { "duplicate-key.yaml", CMDB_YAML_ERROR_DUPLICATE_KEY,
    "4:3: duplicate key 'max_epochs' (first at line 2)" },
  { "duplicate-key-large-mapping.yaml", CMDB_YAML_ERROR_DUPLICATE_KEY,
    "14:3: duplicate key 'c' (first at line 4)" },
  { "unknown-alias.yaml", CMDB_YAML_ERROR_SYNTAX,
    "3:12: unknown alias '*default' (no anchor '&default' before it)" },
  { "recursive-alias.yaml", CMDB_YAML_ERROR_UNSUPPORTED,
    "2:10: alias '*node' is inside the node it refers to (recursive aliases are not "
    "supported)" },
  { "multiple-documents.yaml", CMDB_YAML_ERROR_UNSUPPORTED,
    "2:1: a second YAML document starts here; only one document per file is supported" },
  { "complex-key.yaml", CMDB_YAML_ERROR_UNSUPPORTED,
    "1:3: complex mapping keys (mappings or sequences as keys) are not supported" },
  { "merge-key.yaml", CMDB_YAML_ERROR_UNSUPPORTED,
    "4:3: merge keys ('<<') are not supported; write the keys out" },
  { "bad-int-tag.yaml", CMDB_YAML_ERROR_UNSUPPORTED, "1:9: 'ten' is not a valid !!int" },
  { "unknown-tag.yaml", CMDB_YAML_ERROR_UNSUPPORTED,
    "1:7: unsupported tag '!python/name:torch.nn.CrossEntropyLoss'" },
};

static void
assert_error (const GError *error, CmdbYamlError code, const char *path, const char *message)
{
  g_autofree char *expected = g_strdup_printf ("%s:%s", path, message);

  assert_non_null (error);
  assert_string_equal (error->message, expected);
  assert_true (g_error_matches (error, CMDB_YAML_ERROR, (gint) code));
}

static void
test_fixture (void **state)
{
  const FixtureCase *test_case = *state;
  g_autofree char *relative = g_strconcat ("tests/yaml/fixtures/", test_case->fixture, NULL);
  g_autofree char *path = cmdb_test_source_path (relative);
  g_autoptr (GError) error = NULL;
  g_autoptr (CmdbYamlDocument) document = cmdb_yaml_document_load (path, &error);

  assert_null (document);
  assert_error (error, test_case->code, path, test_case->message);
}

/* Bytes that are not UTF-8 are refused where they are. */
static void
test_not_utf8 (void **state)
{
  static const char text[] = "name: dbnet\nlabel: caf\xe9\n";
  g_autoptr (GError) error = NULL;
  g_autoptr (CmdbYamlDocument) document
      = cmdb_yaml_document_parse ("latin1.yaml", text, -1, &error);

  assert_null (document);
  assert_error (error, CMDB_YAML_ERROR_SYNTAX, "latin1.yaml",
                "2:11: incomplete UTF-8 octet sequence; YAML files must be UTF-8");
}

static void
test_invalid_utf8_byte (void **state)
{
  static const char text[] = "name: dbnet\nlabel: \xff\xfe rest\n";
  g_autoptr (GError) error = NULL;
  g_autoptr (CmdbYamlDocument) document
      = cmdb_yaml_document_parse ("binary.yaml", text, -1, &error);

  assert_null (document);
  assert_error (error, CMDB_YAML_ERROR_SYNTAX, "binary.yaml",
                "2:8: invalid leading UTF-8 octet (#xFF); YAML files must be UTF-8");
}

static void
test_control_character (void **state)
{
  static const char text[] = "a: 1\nb: \x01\n";
  g_autoptr (GError) error = NULL;
  g_autoptr (CmdbYamlDocument) document
      = cmdb_yaml_document_parse ("control.yaml", text, -1, &error);

  assert_null (document);
  assert_error (error, CMDB_YAML_ERROR_SYNTAX, "control.yaml",
                "2:4: control characters are not allowed (#x01)");
}

/* Nesting deeper than CMDB_YAML_MAX_DEPTH is refused where it goes too
 * deep, in flow style (100,000 levels once took libyaml half a minute) and
 * in block style. */
static void
test_deep_nesting (void **state)
{
  g_autoptr (GString) flow = g_string_new ("a: ");
  g_autoptr (GString) block = g_string_new (NULL);
  g_autoptr (GError) error = NULL;
  g_autoptr (CmdbYamlDocument) document = NULL;

  for (guint i = 0; i < 100000; i++)
    g_string_append_c (flow, '[');
  document = cmdb_yaml_document_parse ("flow.yaml", flow->str, -1, &error);
  assert_null (document);
  assert_error (error, CMDB_YAML_ERROR_UNSUPPORTED, "flow.yaml",
                "1:259: mappings and sequences nest deeper than 256 levels");
  g_clear_error (&error);

  for (guint i = 0; i < 300; i++)
    {
      for (guint j = 0; j < i; j++)
        g_string_append_c (block, ' ');
      g_string_append (block, "k:\n");
    }
  document = cmdb_yaml_document_parse ("block.yaml", block->str, -1, &error);
  assert_null (document);
  assert_error (error, CMDB_YAML_ERROR_UNSUPPORTED, "block.yaml",
                "257:257: mappings and sequences nest deeper than 256 levels");
  g_clear_error (&error);

  /* 255 levels inside the top mapping are fine. */
  g_string_truncate (flow, 3);
  for (guint i = 0; i < 255; i++)
    g_string_append_c (flow, '[');
  for (guint i = 0; i < 255; i++)
    g_string_append_c (flow, ']');
  document = cmdb_yaml_document_parse ("ok.yaml", flow->str, -1, &error);
  assert_null (error);
  assert_non_null (document);
}

/* A missing file: the I/O error names the path. */
static void
test_missing_file (void **state)
{
  g_autofree char *tmp = cmdb_test_make_tempdir ();
  g_autofree char *path = g_build_filename (tmp, "absent.yaml", NULL);
  g_autoptr (GError) error = NULL;
  g_autoptr (CmdbYamlDocument) document = cmdb_yaml_document_load (path, &error);
  g_autofree char *expected = g_strdup_printf ("%s: No such file or directory", path);

  assert_null (document);
  assert_true (g_error_matches (error, CMDB_YAML_ERROR, CMDB_YAML_ERROR_IO));
  assert_string_equal (error->message, expected);
  cmdb_test_remove_tree (tmp);
}

static void
test_directory (void **state)
{
  g_autofree char *tmp = cmdb_test_make_tempdir ();
  g_autoptr (GError) error = NULL;
  g_autoptr (CmdbYamlDocument) document = cmdb_yaml_document_load (tmp, &error);
  g_autofree char *expected = g_strdup_printf ("%s: Is a directory", tmp);

  assert_null (document);
  assert_true (g_error_matches (error, CMDB_YAML_ERROR, CMDB_YAML_ERROR_IO));
  assert_string_equal (error->message, expected);
  cmdb_test_remove_tree (tmp);
}

/* Permission bits do not stop root, so main() registers this case only
 * when running as a user (cmocka's skip() counts as a failure in TAP). */
static void
test_unreadable (void **state)
{
  g_autofree char *tmp = NULL;
  g_autofree char *path = NULL;
  g_autofree char *expected = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (CmdbYamlDocument) document = NULL;

  tmp = cmdb_test_make_tempdir ();
  path = cmdb_test_write_file (tmp, "secret.yaml", "a: 1\n");
  assert_int_equal (chmod (path, 0), 0);
  document = cmdb_yaml_document_load (path, &error);
  expected = g_strdup_printf ("%s: Permission denied", path);
  assert_null (document);
  assert_true (g_error_matches (error, CMDB_YAML_ERROR, CMDB_YAML_ERROR_IO));
  assert_string_equal (error->message, expected);
  cmdb_test_remove_tree (tmp);
}

/* Aliases share nodes, so a few lines can stand for a huge tree. */
static void
test_alias_bomb (void **state)
{
  g_autoptr (GString) text = g_string_new ("a: &a [x, x, x, x, x, x, x, x, x, x]\n");
  g_autoptr (GError) error = NULL;
  g_autoptr (CmdbYamlDocument) document = NULL;

  for (char name = 'b'; name <= 'h'; name++)
    g_string_append_printf (text, "%c: &%c [*%c, *%c, *%c, *%c, *%c, *%c, *%c, *%c, *%c, *%c]\n",
                            name, name, name - 1, name - 1, name - 1, name - 1, name - 1, name - 1,
                            name - 1, name - 1, name - 1, name - 1);
  document = cmdb_yaml_document_parse ("bomb.yaml", text->str, (gssize) text->len, &error);
  assert_null (document);
  assert_error (error, CMDB_YAML_ERROR_UNSUPPORTED, "bomb.yaml",
                "6:4: this node expands to more than 1000000 nodes (through aliases)");
}

int
main (void)
{
  GPtrArray *tests = g_ptr_array_new_with_free_func (g_free);
  struct CMUnitTest *array;
  int result;

  for (gsize i = 0; i < G_N_ELEMENTS (fixture_cases); i++)
    {
      struct CMUnitTest test = cmocka_unit_test_prestate (test_fixture, (void *) &fixture_cases[i]);

      test.name = fixture_cases[i].fixture;
      g_ptr_array_add (tests, g_memdup2 (&test, sizeof test));
    }
  {
    const struct CMUnitTest others[] = {
      cmocka_unit_test (test_not_utf8),          cmocka_unit_test (test_invalid_utf8_byte),
      cmocka_unit_test (test_control_character), cmocka_unit_test (test_missing_file),
      cmocka_unit_test (test_directory),         cmocka_unit_test (test_alias_bomb),
      cmocka_unit_test (test_deep_nesting),
    };
    const struct CMUnitTest unreadable = cmocka_unit_test (test_unreadable);

    for (gsize i = 0; i < G_N_ELEMENTS (others); i++)
      g_ptr_array_add (tests, g_memdup2 (&others[i], sizeof others[i]));
    if (geteuid () != 0)
      g_ptr_array_add (tests, g_memdup2 (&unreadable, sizeof unreadable));
  }

  array = g_new (struct CMUnitTest, tests->len);
  for (guint i = 0; i < tests->len; i++)
    array[i] = *(struct CMUnitTest *) g_ptr_array_index (tests, i);
  result = _cmocka_run_group_tests ("yaml-errors", array, tests->len, NULL, NULL);
  g_free (array);
  g_ptr_array_unref (tests);
  return result;
}
