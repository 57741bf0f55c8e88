module github.com/libmulticast/multicast-go

go 1.18
