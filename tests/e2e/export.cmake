# gantrain export (docs/export.md), included by CMakeLists.txt here. Tiny runs exported and
# checked with plain PyTorch of the build's own version (check_export.py: gantrain sample's
# samples for the same noise to 1e-5, the safetensors file, ONNX in onnxruntime); the Python
# comes from scripts/export_venv.sh, which scripts/test.sh runs.
if(Torch_VERSION VERSION_LESS 2)
  set(EXPORT_PYTHON ${PROJECT_SOURCE_DIR}/deps/venv-export/bin/python)
else()
  set(EXPORT_PYTHON ${PROJECT_SOURCE_DIR}/deps/venv-torch2/bin/python)
endif()
set(EXPORT_SMALL --set model.g_hidden=[32] --set model.d_hidden=[32] --set model.g_channels=[8,4]
    --set model.d_channels=[4,8])
foreach(case even_bits mnist_mlp mnist_dcgan mnist_conditional_mlp mnist_conditional_dcgan)
  set(args --task mnist --data-dir ${FAKE} ${EXPORT_SMALL} --set train.ema_decay=0.9)
  if(case STREQUAL "even_bits")
    set(args --task even-bits)
  elseif(case STREQUAL "mnist_mlp")
    list(APPEND args --set model.noise=uniform --set model.activation=relu)
  endif()
  if(case MATCHES "dcgan")
    list(APPEND args --set model.arch=dcgan)
  endif()
  if(case MATCHES "conditional")
    list(APPEND args --set model.conditional=true)
  endif()
  add_test(NAME e2e_export_${case}
           COMMAND ${WITH_CACHE} ${CMAKE_CURRENT_SOURCE_DIR}/export_check.sh ${GANTRAIN}
                   ${EXPORT_PYTHON} ${WORK}/export_${case} ${args})
  set_tests_properties(e2e_export_${case} PROPERTIES LABELS e2e TIMEOUT 300
                       FIXTURES_REQUIRED fake_mnist)
endforeach()

# Bad inputs: one line naming the flag or file.
expect(export_unknown_format 2 "--format 'onnx': expected torchscript or safetensors"
       export --checkpoint ${WORK}/even_bits --format onnx)
expect(export_missing_checkpoint 1 "none.pt: checkpoint not found" export --checkpoint ${WORK}/none.pt)
expect(export_needs_checkpoint 2 "gantrain export: --checkpoint RUN_DIR_OR_PT is required" export)
expect(export_unwritable_out 1 "no_such_dir/g.pt.tmp: cannot open for writing"
       export --checkpoint ${WORK}/even_bits --out ${WORK}/no_such_dir/g.pt)
set_tests_properties(e2e_export_unwritable_out PROPERTIES FIXTURES_REQUIRED even_bits_run)
expect(export_help 0 "--format arg +torchscript or safetensors" export --help)
