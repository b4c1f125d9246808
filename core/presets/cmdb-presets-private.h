/* cmdb-presets-private.h: named starting points of a page (docs/sweeps.md,
 * "Presets").
 *
 * A preset is a YAML file holding `description:` and a `values:` map of
 * form keys. Shared presets live in the workspace, under
 * configs/ui_meta/presets/<page>/<name>.yaml, so a team shares them with
 * git and can write one by hand; private ones in the state directory,
 * presets/<page>/<name>.yaml. Both are read through the shared cache: a
 * preset committed (or pulled) while a server runs shows up at its next
 * request. A private preset shadows a shared one of the same name.
 */
#pragma once

#include "base/cmdb-private-export.h"

#include "cmdbuilder.h"

G_BEGIN_DECLS

#define CMDB_PRESET_ERROR (cmdb_preset_error_quark ())
#define cmdb_preset_error_quark _cmdb_preset_error_quark
CMDB_PRIVATE_EXPORT
GQuark cmdb_preset_error_quark (void);

typedef enum
{
  CMDB_PRESET_ERROR_INVALID_NAME, /* a name that cannot be a file name */
  CMDB_PRESET_ERROR_NOT_FOUND,    /* no preset of that name */
  CMDB_PRESET_ERROR_FAILED,       /* the file could not be written or removed */
} CmdbPresetError;

/* The preset file format this build writes (and the newest it reads). */
#define CMDB_PRESET_FORMAT_VERSION 1

typedef struct
{
  char *page_id;
  char *name;
  char *description;  /* "" when the file has none */
  JsonObject *values; /* form key -> value */
  gboolean is_private;
  char *path;
} CmdbPreset;

#define cmdb_preset_free _cmdb_preset_free
CMDB_PRIVATE_EXPORT
void cmdb_preset_free (CmdbPreset *preset);
/* (transfer full): {name, description, values, private, path}. */
#define cmdb_preset_to_json _cmdb_preset_to_json
CMDB_PRIVATE_EXPORT
JsonObject *cmdb_preset_to_json (const CmdbPreset *preset);

/* TRUE when @name can name a preset: 1-64 of [A-Za-z0-9._-], not starting
 * with a dot. FALSE with CMDB_PRESET_ERROR_INVALID_NAME otherwise. */
#define cmdb_preset_check_name _cmdb_preset_check_name
CMDB_PRIVATE_EXPORT
gboolean cmdb_preset_check_name (const char *name, GError **error);

/* (transfer full) (element-type CmdbPreset): the presets of @page_id, by
 * name, private ones shadowing shared ones. A file that cannot be read is
 * left out and, when @problems (nullable) is given, added to it as an error
 * naming the file and line. */
#define cmdb_presets_list _cmdb_presets_list
CMDB_PRIVATE_EXPORT
GPtrArray *cmdb_presets_list (CmdbContext *context, const char *page_id, GPtrArray *problems);
/* (transfer full): the preset @name of @page_id, or NULL with
 * CMDB_PRESET_ERROR_NOT_FOUND (a did-you-mean naming the known ones) or the
 * file's error. */
#define cmdb_presets_find _cmdb_presets_find
CMDB_PRIVATE_EXPORT
CmdbPreset *cmdb_presets_find (CmdbContext *context, const char *page_id, const char *name,
                               GError **error);
/* Writes @values (form key -> value) as the preset @name of @page_id,
 * replacing one of that name in the same place. Returns (transfer full)
 * the path written, or NULL with @error. */
#define cmdb_preset_save _cmdb_preset_save
CMDB_PRIVATE_EXPORT
char *cmdb_preset_save (CmdbContext *context, const char *page_id, const char *name,
                        const char *description, JsonObject *values, gboolean is_private,
                        GError **error);
/* Removes the preset @name of @page_id (the private one when both exist).
 * Returns (transfer full) the path removed, or NULL with @error. */
#define cmdb_preset_delete _cmdb_preset_delete
CMDB_PRIVATE_EXPORT
char *cmdb_preset_delete (CmdbContext *context, const char *page_id, const char *name,
                          GError **error);
/* Sets every value of @preset whose key @schema has, as set by the user
 * (label/value options as a suggested setup's). Returns (transfer full)
 * (element-type utf8) the keys it skipped because the schema no longer has
 * them. */
#define cmdb_preset_apply _cmdb_preset_apply
CMDB_PRIVATE_EXPORT
GPtrArray *cmdb_preset_apply (const CmdbPreset *preset, CmdbSchema *schema, CmdbFormInput *input);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (CmdbPreset, cmdb_preset_free)

G_END_DECLS
