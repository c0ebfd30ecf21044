// Validates FHIR R4 JSON with FHIR.js (npm "fhir", lantanagroup): the bundled R4 (4.0.1)
// profiles and value sets. Reads one JSON document on stdin: a resource, or an array of
// resources. Writes one JSON line: an array with, per resource, {valid, errors, warnings}.
// Only "error" and "fatal" messages make a resource invalid; "warning" and "info" are mostly
// value sets the bundled cache cannot expand (LOINC, SNOMED, THO), see docs/ehr.md.
'use strict';
const { Fhir } = require('fhir');

const fhir = new Fhir();
let input = '';
process.stdin.setEncoding('utf8');
process.stdin.on('data', (chunk) => { input += chunk; });
process.stdin.on('end', () => {
  const parsed = JSON.parse(input);
  const resources = Array.isArray(parsed) ? parsed : [parsed];
  const report = resources.map((resource) => {
    const result = fhir.validate(resource, { errorOnUnexpected: true });
    const bad = result.messages.filter((m) => m.severity === 'error' || m.severity === 'fatal');
    return {
      resourceType: resource && resource.resourceType,
      valid: result.valid && bad.length === 0,
      errors: bad.map((m) => `${m.location}: ${m.message}`),
      warnings: result.messages.length - bad.length,
    };
  });
  process.stdout.write(JSON.stringify(report) + '\n');
});
