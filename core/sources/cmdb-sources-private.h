/* cmdb-sources-private.h: the core's built-in option sources (not
 * installed; used by the host, the CLI and white-box tests).
 *
 * Built-in sources: models.architectures, models.optimizers, datasets,
 * checkpoints, submissions, preprocessing_profiles (docs/sources.md says why these live
 * in the core). The model-family sources (models.encoders, ...) come from
 * the registry plugins, which call cmdb_component_source_list().
 */
#pragma once

#include "base/cmdb-private-export.h"

#include "cmdbuilder.h"

G_BEGIN_DECLS

/* TRUE when @source_id is one of the core's built-in sources. */
#define cmdb_builtin_sources_provides _cmdb_builtin_sources_provides
CMDB_PRIVATE_EXPORT
gboolean cmdb_builtin_sources_provides (const char *source_id);
/* (transfer none): the built-in source ids, NULL-terminated, in the order
 * docs/sources.md lists them. */
#define cmdb_builtin_sources_get_ids _cmdb_builtin_sources_get_ids
CMDB_PRIVATE_EXPORT
const char *const *cmdb_builtin_sources_get_ids (void);
/* (transfer full): the list of the built-in source @source_id, computed
 * through @context's cache (key "source:<id>:<configs dir>"). NULL with
 * @error (CMDB_OPTION_SOURCE_ERROR_UNKNOWN_SOURCE) for another id. */
#define cmdb_builtin_sources_list _cmdb_builtin_sources_list
CMDB_PRIVATE_EXPORT
CmdbOptionList *cmdb_builtin_sources_list (CmdbContext *context, const char *source_id,
                                           GError **error);

/* Sets a known description (or none, with NULL) so that it is never read
 * from the entry's file (checkpoints are not YAML). Only while building. */
#define cmdb_option_entry_set_description _cmdb_option_entry_set_description
CMDB_PRIVATE_EXPORT
void cmdb_option_entry_set_description (CmdbOptionEntry *entry, const char *description);
/* (transfer none): the entry's metadata object, created when absent. Only
 * while building. */
#define cmdb_option_entry_ensure_metadata _cmdb_option_entry_ensure_metadata
CMDB_PRIVATE_EXPORT
JsonObject *cmdb_option_entry_ensure_metadata (CmdbOptionEntry *entry);
/* Lets @fill make the entry's metadata when it is first read (listing
 * 10,000 checkpoints must not build 10,000 JSON objects nobody reads).
 * @data (freed with @data_free, nullable) is passed to @fill once. Only
 * while building. */
#define cmdb_option_entry_set_metadata_filler _cmdb_option_entry_set_metadata_filler
CMDB_PRIVATE_EXPORT
void cmdb_option_entry_set_metadata_filler (CmdbOptionEntry *entry,
                                            void (*fill) (CmdbOptionEntry *entry,
                                                          JsonObject *metadata, gpointer data),
                                            gpointer data, GDestroyNotify data_free,
                                            gboolean display);
/* (transfer none) (nullable): the metadata when it may hold what a choice
 * shows ("label", "modified"): filled then, left unfilled when its filler
 * was set without @display (a component's origin). For copying options
 * into a form without making metadata nobody shows. */
#define cmdb_option_entry_get_display_metadata _cmdb_option_entry_get_display_metadata
CMDB_PRIVATE_EXPORT
JsonObject *cmdb_option_entry_get_display_metadata (CmdbOptionEntry *entry);

/* (transfer full): a problem for @error about @path: the location is taken
 * from the message's "path:line:column: " prefix when it has one (YAML
 * errors do), and the rest of the message becomes the problem's message. */
#define cmdb_problem_from_error _cmdb_problem_from_error
CMDB_PRIVATE_EXPORT
CmdbProblem *cmdb_problem_from_error (CmdbSeverity severity, const GError *error, const char *path,
                                      const char *subject);

G_END_DECLS
