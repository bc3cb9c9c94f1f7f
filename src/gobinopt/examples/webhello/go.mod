module example.com/gobinopt-example

go 1.21
