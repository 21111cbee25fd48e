// ESLint (flat config) with type information from tsconfig.json. `npm run lint` runs it with
// dependency-cruiser (.dependency-cruiser.cjs), which checks the layering of src/.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'geo-data/**', 'native/**', 'build/**', '**/*.js', '**/*.cjs', '**/*.mjs'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
  },
);
