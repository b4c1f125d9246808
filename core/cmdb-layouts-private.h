/* cmdb-layouts-private.h: the layouts of the structs the installed headers
 * keep opaque (not installed).
 *
 * Plugins reach these structs through accessors only, so their layout (and
 * the private members, reference counts and indexes) can change without
 * breaking a plugin built against older headers. Inside the tree (the
 * library, the executable, the tests: CMDBUILDER_COMPILATION) cmdbuilder.h
 * includes this file, and the code reads the members directly. */
#pragma once

G_BEGIN_DECLS

struct _CmdbDirScan
{
  char *path;
  CmdbDirEntry *entries;
  guint n_entries;
  /* private */
  gint ref_count;
};

struct _CmdbOptionEntry
{
  char *name;               /* the value put into the command */
  char *file;               /* (nullable) absolute path of the file it came from */
  char *description;        /* (nullable) filled lazily, see cmdb_option_entry_get_description() */
  GPtrArray *architectures; /* (element-type utf8) architectures listing it as compatible */
  JsonObject *metadata;     /* (nullable) source-specific extras (checkpoint epoch, size, ...);
                             * read it with cmdb_option_entry_get_metadata(), which fills it */
  /* private */
  gint ref_count;
  gboolean description_loaded;
  /* (nullable) fills metadata on first need (cmdb_option_entry_set_metadata_filler()) */
  void (*fill_metadata) (CmdbOptionEntry *entry, JsonObject *metadata, gpointer data);
  gpointer fill_data;
  GDestroyNotify fill_data_free;
  gboolean fill_display; /* the filler sets "label" or "modified" */
};

struct _CmdbOptionList
{
  char *source_id;
  GPtrArray *entries;  /* (element-type CmdbOptionEntry) in the source's documented order */
  GPtrArray *problems; /* (element-type CmdbProblem) warnings and errors met while listing */
  /* private */
  GHashTable *index; /* name -> entry */
  gint ref_count;
};

struct _CmdbCommand
{
  GPtrArray *argv;               /* (element-type utf8) what is executed */
  char *display;                 /* shell-quoted, one line: what is copied */
  char *pretty;                  /* multi-line form, ` \` continued */
  GPtrArray *overrides;          /* (element-type utf8) the override tokens after the constants */
  GPtrArray *constant_overrides; /* (element-type utf8) */
  GPtrArray *errors;             /* (element-type utf8) */
  GPtrArray *warnings;           /* (element-type utf8) */
  /* private */
  gint ref_count;
};

G_END_DECLS
