#define G_LOG_DOMAIN "cmdb-cli"

/* `cmdbuilder new-plugin KIND ID`: writes a working plugin into DIR/ID/ from
 * the templates in plugin-templates/ (compiled in as a resource), so DIR can
 * be put on the plugin path as it is. */

#include "cli.h"

#include <stdio.h>
#include <string.h>
#include <errno.h>
#include <glib/gstdio.h>

#define TEMPLATE_PREFIX "/org/cmdbuilder/plugin-templates/"

/* One file to write: the template, and the name it gets ("@ID@" replaced). */
typedef struct
{
  const char *kind;
  const char *lang;
  const char *template_name;
  const char *file_name;
} PluginFile;

static const PluginFile plugin_files[] = {
  { "registry", "python", "python-registry.plugin", "@ID@.plugin" },
  { "registry", "python", "python-registry.py", "@ID@.py" },
  { "page", "python", "page.plugin", "@ID@.plugin" },
  { "page", "python", "python-page.py", "@ID@.py" },
  { "page", "python", "page-schema.yaml", "@ID@.yaml" },
  { "registry", "c", "c-registry.plugin", "@ID@.plugin" },
  { "registry", "c", "c-registry.c", "@ID@-registry.c" },
  { "registry", "c", "c-meson.build", "meson.build" },
  { "registry", "c", "c-meson_options.txt", "meson_options.txt" },
  { "page", "c", "page.plugin", "@ID@.plugin" },
  { "page", "c", "c-page.c", "@ID@-page.c" },
  { "page", "c", "page-schema.yaml", "@ID@.yaml" },
  { "page", "c", "c-meson.build", "meson.build" },
  { "page", "c", "c-meson_options.txt", "meson_options.txt" },
  { "executor", "c", "c-executor.plugin", "@ID@.plugin" },
  { "executor", "c", "c-executor.c", "@ID@-executor.c" },
  { "executor", "c", "c-meson.build", "meson.build" },
  { "executor", "c", "c-meson_options.txt", "meson_options.txt" },
  { NULL, NULL, "README.md", "README.md" },
};

/* An id is a Python module name and a C identifier prefix at once. */
static gboolean
is_valid_id (const char *id)
{
  if (!g_ascii_islower (id[0]))
    return FALSE;
  for (const char *p = id; *p != '\0'; p++)
    if (!g_ascii_islower (*p) && !g_ascii_isdigit (*p) && *p != '_')
      return FALSE;
  return TRUE;
}

/* "lr_schedulers" -> "LrSchedulers", or "Lr schedulers" with @spaced. */
static char *
camel_case (const char *id, gboolean spaced)
{
  GString *out = g_string_new (NULL);
  gboolean start = TRUE;

  for (const char *p = id; *p != '\0'; p++)
    {
      if (*p == '_')
        {
          if (spaced)
            g_string_append_c (out, ' ');
          start = !spaced;
          continue;
        }
      g_string_append_c (out, start ? g_ascii_toupper (*p) : *p);
      start = FALSE;
    }
  return g_string_free (out, FALSE);
}

static char *
replace_all (const char *text, GHashTable *values)
{
  GString *out = g_string_new (text);
  GHashTableIter iter;
  gpointer key, value;

  g_hash_table_iter_init (&iter, values);
  while (g_hash_table_iter_next (&iter, &key, &value))
    g_string_replace (out, key, value, 0);
  return g_string_free (out, FALSE);
}

static const char *
build_section (const char *lang, const char *kind)
{
  if (g_str_equal (lang, "python"))
    return "## Build\n\nNothing to build: the host imports `@ID@.py` when a page first needs it.\n"
           "It runs in the system Python (`/usr/bin/python3`), with python3-gi.\n\n";
  return "## Build\n\nAgainst the installed SDK, with pkg-config alone (for an SDK under a\n"
         "prefix, `export PKG_CONFIG_PATH=<prefix>/lib/<multiarch>/pkgconfig`):\n\n"
         "    meson setup build -Dplugindir=/path/to/plugins\n"
         "    meson install -C build\n\n"
         "installs `@ID@/lib@ID@.so` and `@ID@/@ID@.plugin` into that directory\n"
         "(without -Dplugindir, into the SDK's own plugin directory).\n\n";
}

static const char *
test_section (const char *kind)
{
  if (g_str_equal (kind, "registry"))
    return "With `configs/model/@ID@/a.yaml` and `b.yaml` in a workspace:\n\n"
           "    cmdbuilder options models.@ID@\n\n"
           "lists `a` and `b`. A schema element with `options_source: models.@ID@`\n"
           "offers them, e.g. a fragment `schemas/train.d/@ID@.yaml` (with\n"
           "`[workspace] schemas=schemas` in `cmdbuilder.ini`):\n\n"
           "    ui_elements:\n"
           "      - key: @ID@\n"
           "        type: selectbox\n"
           "        options_source: models.@ID@\n"
           "        hydra_override: +model/@ID@\n\n"
           "then `cmdbuilder build train --set @ID@=b` ends with `+model/@ID@=b`.\n";
  if (g_str_equal (kind, "executor"))
    return "In a workspace:\n\n"
           "    cmdbuilder exec --executor @ID@ -- sh -c 'echo hello; exit 3'\n\n"
           "prints hello and exits with status 3, as the command did;\n"
           "`cmdbuilder run PAGE --executor @ID@` runs a page's command with it, and\n"
           "`[run] executor=@ID@` in `cmdbuilder.ini` makes it the default.\n";
  return "In a workspace with a runner `runners/@ID@.py`:\n\n"
         "    cmdbuilder keys @ID@\n"
         "    cmdbuilder build @ID@ --set message=hi\n\n"
         "print the page's keys and its command.\n";
}

static gboolean
write_plugin (const char *kind, const char *lang, const char *id, const char *target,
              GError **error)
{
  g_autoptr (GHashTable) values = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, g_free);
  g_autofree char *camel = camel_case (id, FALSE);
  g_autofree char *source = NULL;
  g_autofree char *build = NULL;
  g_autofree char *test = NULL;

  /* The README's sections first: they hold placeholders themselves. */
  g_hash_table_insert (values, "@ID@", g_strdup (id));
  build = replace_all (build_section (lang, kind), values);
  test = replace_all (test_section (kind), values);
  source = g_strdup_printf ("%s-%s.c", id, kind);
  g_hash_table_insert (values, "@BUILD@", g_steal_pointer (&build));
  g_hash_table_insert (values, "@TEST@", g_steal_pointer (&test));
  g_hash_table_insert (values, "@NAME@", camel_case (id, TRUE));
  g_hash_table_insert (values, "@TYPE@",
                       g_strconcat (camel,
                                    g_str_equal (kind, "page")       ? "Page"
                                    : g_str_equal (kind, "executor") ? "Executor"
                                                                     : "Registry",
                                    NULL));
  g_hash_table_insert (values, "@UPPER@", g_ascii_strup (id, -1));
  g_hash_table_insert (values, "@KIND@", g_strdup (kind));
  g_hash_table_insert (values, "@LANG@", g_strdup (lang));
  g_hash_table_insert (values, "@LOADER@",
                       g_strdup (g_str_equal (lang, "python") ? "Loader=python3\n" : ""));
  g_hash_table_insert (values, "@SOURCE@", g_steal_pointer (&source));
  g_hash_table_insert (values, "@EXTRA_DATA@",
                       g_str_equal (kind, "page") ? g_strdup_printf ("'%s.yaml', ", id)
                                                  : g_strdup (""));

  if (g_file_test (target, G_FILE_TEST_EXISTS))
    {
      g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_EXIST,
                   "%s already exists: new-plugin never overwrites a plugin", target);
      return FALSE;
    }
  if (g_mkdir_with_parents (target, 0755) != 0)
    {
      int saved_errno = errno;
      g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (saved_errno),
                   "cannot create %s: %s", target, g_strerror (saved_errno));
      return FALSE;
    }
  for (gsize i = 0; i < G_N_ELEMENTS (plugin_files); i++)
    {
      const PluginFile *file = &plugin_files[i];
      g_autofree char *resource = NULL;
      g_autoptr (GBytes) bytes = NULL;
      g_autofree char *text = NULL;
      g_autofree char *name = NULL;
      g_autofree char *path = NULL;

      if (file->kind != NULL
          && (!g_str_equal (file->kind, kind) || !g_str_equal (file->lang, lang)))
        continue;
      resource = g_strconcat (TEMPLATE_PREFIX, file->template_name, NULL);
      bytes = g_resources_lookup_data (resource, G_RESOURCE_LOOKUP_FLAGS_NONE, error);
      if (bytes == NULL)
        return FALSE;
      text = replace_all (g_bytes_get_data (bytes, NULL), values);
      name = replace_all (file->file_name, values);
      path = g_build_filename (target, name, NULL);
      if (!g_file_set_contents (path, text, -1, error))
        return FALSE;
    }
  return TRUE;
}

int
cmdb_cli_new_plugin (int argc, char **argv)
{
  g_auto (CmdbCliCommonOptions) common = { 0 };
  g_autofree char *lang = NULL;
  g_autofree char *dir = NULL;
  const GOptionEntry entries[]
      = { { "lang", 0, 0, G_OPTION_ARG_STRING, &lang,
            "The plugin's language: python (the default) or c (executors: c only)", "LANG" },
          { "dir", 0, 0, G_OPTION_ARG_FILENAME, &dir,
            "Write DIR/ID/ (default: the current directory); DIR is then a plugin path", "DIR" },
          { NULL } };
  g_autoptr (GOptionContext) option_context
      = g_option_context_new ("KIND ID - write a working plugin to start from");
  g_autoptr (GError) error = NULL;
  g_autofree char *target = NULL;
  const char *kind;
  const char *id;

  g_option_context_add_main_entries (option_context, entries, NULL);
  /* Accepted like everywhere; writing a plugin needs no workspace. */
  cmdb_cli_add_common_options (option_context, &common);
  g_option_context_set_description (
      option_context,
      "KIND is page or registry (python or c), or executor (c only).\n"
      "ID names the plugin, its directory and module: lowercase letters, digits and _.\n"
      "A registry provides the option source models.ID, listing configs/model/ID/*.yaml.");
  if (!cmdb_cli_parse (option_context, &argc, &argv))
    return 1;
  if (argc != 3)
    {
      cmdb_cli_error ("new-plugin takes KIND and ID (cmdbuilder new-plugin --help)");
      return 1;
    }
  kind = argv[1];
  id = argv[2];
  if (lang == NULL)
    lang = g_strdup (g_str_equal (kind, "executor") ? "c" : "python");
  if (!g_str_equal (lang, "python") && !g_str_equal (lang, "c"))
    {
      cmdb_cli_error ("unknown --lang '%s': python or c", lang);
      return 1;
    }
  if (g_str_equal (kind, "executor") && !g_str_equal (lang, "c"))
    {
      cmdb_cli_error ("executor plugins are C only: their methods are asynchronous (start, stop "
                      "and status checks complete later, so the server never waits on a cluster), "
                      "which a Python plugin cannot implement through libpeas; use --lang c");
      return 1;
    }
  if (!g_str_equal (kind, "page") && !g_str_equal (kind, "registry")
      && !g_str_equal (kind, "executor"))
    {
      cmdb_cli_error ("unknown plugin kind '%s': page, registry or executor", kind);
      return 1;
    }
  if (!is_valid_id (id))
    {
      cmdb_cli_error ("plugin id '%s' must start with a lowercase letter and hold only "
                      "lowercase letters, digits and _ (it is a module name)",
                      id);
      return 1;
    }
  target = g_build_filename (dir != NULL ? dir : ".", id, NULL);
  if (!write_plugin (kind, lang, id, target, &error))
    {
      cmdb_cli_error ("%s", error->message);
      return 1;
    }
  printf ("%s\n", target);
  return 0;
}
