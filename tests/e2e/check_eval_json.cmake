# Checks eval.json: valid JSON with every metric group's numbers (cmake -DJSON=... -P this).
file(READ ${JSON} text)
foreach(key classifier_accuracy fid fid_real inception_score modes_covered class_kl precision
        recall parzen_ll parzen_se parzen_sigma)
  string(JSON value ERROR_VARIABLE error GET "${text}" metrics ${key})
  if(error OR NOT value MATCHES "^-?[0-9.e+-]+$")
    message(FATAL_ERROR "${JSON}: metrics.${key} is '${value}' ${error}")
  endif()
endforeach()
string(JSON samples GET "${text}" samples)
if(NOT samples EQUAL 2000)
  message(FATAL_ERROR "${JSON}: samples is ${samples}, expected 2000")
endif()
