/* cmdb-paths-private.h: where the bundled schemas and plugins are.
 *
 * When libcmdbuilder itself is loaded from the build tree (tests, or the
 * README's commands run from a fresh build), the source tree's schemas and
 * the build tree's plugin directories are used; installed, the installed
 * ones. Deciding by the library's own location (not the program's) keeps
 * third-party programs linked against an installed library on installed
 * paths.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

gboolean cmdb_is_uninstalled (void);
/* (transfer full) */
char *cmdb_default_schemas_dir (void);
/* (transfer full) (element-type utf8): directories scanned one level deep
 * for <id>/<id>.plugin. */
GPtrArray *cmdb_default_plugin_dirs (void);
/* (transfer full): where Cmdbuilder-1.typelib is (the build tree's core/
 * when uninstalled). */
char *cmdb_typelib_dir (void);
/* (transfer full): where the Python helper module cmdbuilder_plugin is. */
char *cmdb_python_helper_dir (void);

G_END_DECLS
