// Command Builder web UI: the execution panel (filled in the next step).
'use strict';
