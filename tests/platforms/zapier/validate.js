'use strict';

// Validates the Zapier app in the directory given as argv[2] the way
// `zapier-platform validate` does before a push: zapier-platform-core's
// validateApp, which replaces functions by references and checks the result
// against zapier-platform-schema's AppSchema. Prints one JSON line.

const path = require('path');
const { createRequire } = require('module');

const appDir = path.resolve(process.argv[2]);
const appRequire = createRequire(path.join(appDir, 'index.js'));
const { validateApp } = appRequire('zapier-platform-core/src/tools/schema');
const core = appRequire('zapier-platform-core');

const app = appRequire('./index.js');
const errors = validateApp(app).map((error) => ({
  property: error.property,
  message: error.message,
}));
process.stdout.write(JSON.stringify({ core: core.version, errors }) + '\n');
