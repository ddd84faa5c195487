# With log.tensorboard and log.report off, a run writes neither event files nor report.html.
file(GLOB found ${RUN}/events.out.tfevents.* ${RUN}/report.html)
if(found)
  message(FATAL_ERROR "expected no TensorBoard or report files, found: ${found}")
endif()
if(NOT EXISTS ${RUN}/metrics.csv)
  message(FATAL_ERROR "missing ${RUN}/metrics.csv")
endif()
